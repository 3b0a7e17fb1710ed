// Owns the LanguageClient: starts `multicodex serve`, restarts it with backoff when it
// crashes, and keeps notification/request handlers attached across restarts. Every start
// (the first, a restart after a crash, one the user asked for) reads the settings anew.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  type CancellationToken,
  type LanguageClientOptions,
  type NotificationType,
  type RequestType,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { RestartBackoff } from './backoff';
import { describeLaunch, serverStart, type ServerStart } from './serverCommand';
import { describeServerExit } from './serverExit';
import { ServerProcess } from './serverProcess';
import type { ExtensionSettings } from './settings';
import { incompatibility } from './serverCompat';
import { describeState, type ServerState } from './serverState';

export type { ServerState } from './serverState';

type Attach = (client: LanguageClient) => vscode.Disposable;

const CLIENT_ID = 'multicodex';
const CLIENT_NAME = 'MultiCodex';
/** How long a server that closed its connection gets to report its exit status. */
const EXIT_REPORT_MS = 2000;
/** How long a stopped server gets to exit by itself before SIGTERM. */
const STOP_GRACE_MS = 2000;

export class ServerConnection implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private process: ServerProcess | undefined;
  private clientDisposables: vscode.Disposable[] = [];
  private readonly attachments = new Set<Attach>();
  private readonly backoff = new RestartBackoff();
  private retryTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private generation = 0;
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  private currentState: ServerState = { kind: 'stopped', reason: 'not started' };

  readonly onDidChangeState = this.stateEmitter.event;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly readSettings: () => ExtensionSettings,
  ) {}

  get state(): ServerState {
    return this.currentState;
  }

  get isRunning(): boolean {
    return this.currentState.kind === 'running';
  }

  /** Starts the server if it is not running; safe to call repeatedly. */
  async start(): Promise<void> {
    if (this.client || this.disposed) {
      return;
    }
    await this.launch();
  }

  /** Stops the server and starts a fresh one (user-initiated: resets the backoff). */
  async restart(): Promise<void> {
    this.backoff.reset();
    this.clearRetry();
    await this.stopClient();
    await this.launch();
  }

  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationToken): Promise<R> {
    const client = await this.readyClient();
    // By method name: the typed overloads cannot resolve a generic P; the signature above
    // already ties params and result to the request type. An explicit undefined token
    // would be sent as a second positional parameter, so it is only passed when present.
    return token
      ? client.sendRequest<R>(type.method, params, token)
      : client.sendRequest<R>(type.method, params);
  }

  async notify<P>(type: NotificationType<P>, params: P): Promise<void> {
    const client = this.client;
    if (client && this.isRunning) {
      await client.sendNotification(type.method, params);
    }
  }

  /** Subscribes to a server notification for the lifetime of the extension. */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable {
    return this.addAttachment((client) => client.onNotification(type.method, (params: P) => {
      handler(params);
    }));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.clearRetry();
    await this.stopClient();
    this.stateEmitter.dispose();
  }

  private addAttachment(attach: Attach): vscode.Disposable {
    this.attachments.add(attach);
    if (this.client) {
      this.clientDisposables.push(attach(this.client));
    }
    return new vscode.Disposable(() => {
      this.attachments.delete(attach);
    });
  }

  private async readyClient(): Promise<LanguageClient> {
    if (!this.client && !this.disposed && this.currentState.kind === 'stopped') {
      await this.launch();
    }
    const client = this.client;
    if (!client || !this.isRunning) {
      throw new Error(`The MultiCodex server is not running (${describeState(this.currentState)}).`);
    }
    return client;
  }

  private async launch(): Promise<void> {
    const generation = ++this.generation;
    const start = serverStart(this.readSettings().server, process.env, isExecutableFile);
    this.log.info(`Starting the MultiCodex server (${start.launch.origin}): ${describeLaunch(start.launch)}`);
    this.setState({ kind: 'starting' });
    const client = this.createClient(start, generation);
    this.client = client;
    this.clientDisposables = [...this.attachments].map((attach) => attach(client));
    try {
      await client.start();
    } catch (error) {
      const reason = await this.exitReason(`failed to start: ${errorText(error)}`);
      this.log.error(`The MultiCodex server ${reason}`);
      await this.handleCrash(generation, reason);
      return;
    }
    if (generation !== this.generation || this.client !== client) {
      return;
    }
    const problem = incompatibility(client.initializeResult?.capabilities);
    if (problem) {
      await this.refuse(problem);
      return;
    }
    this.backoff.markStarted(Date.now());
    this.setState({ kind: 'running' });
    this.log.info('The MultiCodex server is running.');
  }

  private createClient(start: ServerStart, generation: number): LanguageClient {
    // The process is started here rather than by the client, so its exit status and last
    // stderr lines are at hand when it stops (the client logs its stderr as before).
    const serverOptions: ServerOptions = async () => {
      const server = ServerProcess.start({ command: start.launch.command, args: start.launch.args, env: start.env });
      this.process = server;
      await server.spawned;
      return server.child;
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      outputChannel: this.log,
      initializationOptions: () => this.readSettings().forServer,
      // A failed start is retried with backoff and shown in the footer; one message comes
      // only when restarting is given up (handleCrash).
      initializationFailedHandler: () => false,
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue, handled: true }),
        closed: () => {
          // Let the client finish its own cleanup before this one is discarded.
          setTimeout(() => void this.onClosed(generation), 0);
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
    };
    return new QuietLanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  }

  private async onClosed(generation: number): Promise<void> {
    if (this.disposed || generation !== this.generation) {
      return;
    }
    const reason = await this.exitReason('closed its connection');
    await this.handleCrash(generation, reason);
  }

  /** Why the current server process stopped: its exit status and last stderr lines. */
  private async exitReason(fallback: string): Promise<string> {
    const exit = await this.process?.exitWithin(EXIT_REPORT_MS);
    return exit ? describeServerExit(exit) : fallback;
  }

  private async handleCrash(generation: number, reason: string): Promise<void> {
    if (this.disposed || generation !== this.generation) {
      return;
    }
    this.generation += 1;
    await this.discardClient();
    const delay = this.backoff.nextDelay(Date.now());
    if (delay === undefined) {
      const message = `The MultiCodex server keeps stopping (it ${reason}); it will not be restarted automatically.`;
      this.log.error(message);
      this.setState({ kind: 'stopped', reason });
      void vscode.window
        .showErrorMessage(message, 'Show Logs', 'Restart Server')
        .then((choice) => {
          if (choice === 'Show Logs') {
            this.log.show();
          } else if (choice === 'Restart Server') {
            void this.restart();
          }
        });
      return;
    }
    this.log.warn(`The MultiCodex server ${reason}; restarting in ${delay / 1000} s.`);
    this.setState({ kind: 'waiting', retryInMs: delay, reason });
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.launch();
    }, delay);
  }

  /** Stops a server this extension cannot work with; restarting would not help. */
  private async refuse(problem: string): Promise<void> {
    this.log.error(`Not using the server: ${problem}.`);
    await this.stopClient();
    this.setState({ kind: 'stopped', reason: problem });
    void vscode.window.showErrorMessage(`MultiCodex: ${problem}.`, 'Show Logs').then((choice) => {
      if (choice) {
        this.log.show();
      }
    });
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    const server = this.process;
    this.generation += 1;
    if (!client) {
      return;
    }
    this.client = undefined;
    this.process = undefined;
    disposeAll(this.clientDisposables);
    this.clientDisposables = [];
    try {
      await client.stop(2000);
    } catch (error) {
      this.log.warn(`Stopping the MultiCodex server: ${errorText(error)}`);
    }
    await server?.stop(STOP_GRACE_MS);
    this.setState({ kind: 'stopped', reason: 'stopped' });
  }

  /** Forgets a client whose process is already gone. */
  private async discardClient(): Promise<void> {
    const client = this.client;
    const server = this.process;
    this.client = undefined;
    this.process = undefined;
    disposeAll(this.clientDisposables);
    this.clientDisposables = [];
    if (client) {
      try {
        await client.dispose(1000);
      } catch {
        // The process is already gone; nothing left to release.
      }
    }
    await server?.stop(STOP_GRACE_MS);
  }

  private clearRetry(): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  private setState(state: ServerState): void {
    this.currentState = state;
    if (!this.disposed) {
      this.stateEmitter.fire(state);
    }
  }
}

/** Logs client errors without popping a notification for each one: crashes are retried
 * with backoff and reported in the footer instead. */
class QuietLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, showNotification === 'force' ? false : showNotification);
  }
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function disposeAll(disposables: readonly vscode.Disposable[]): void {
  for (const disposable of disposables) {
    disposable.dispose();
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
