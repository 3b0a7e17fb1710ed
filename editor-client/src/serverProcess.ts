// One `multicodex serve` child process, started by the extension itself (not by the
// language client) so that its exit code, signal and last stderr lines are known when it
// stops: they are what the footer and the log say, not "connection got disposed".
import { spawn, type ChildProcess } from 'node:child_process';
import { LineTail, type ServerExit } from './serverExit';

/** Everything a start needs, built from the settings in force at that moment. */
export interface ServerSpawn {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** Past the server's own bound (20 s) for finishing a token refresh on SIGTERM. */
const KILL_AFTER_MS = 25_000;

export class ServerProcess {
  private readonly stderr = new LineTail();
  private ended: ServerExit | undefined;
  /** Resolves once the process has exited or failed to start; never rejects. */
  readonly exited: Promise<ServerExit>;
  /** Resolves when the process is running; rejects with the reason it could not start. */
  readonly spawned: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr.push(chunk);
    });
    this.exited = new Promise<ServerExit>((resolve) => {
      // 'close', not 'exit': by then stderr has been read to its end.
      child.once('close', (code, signal) => resolve(this.end({ code, signal })));
      child.once('error', (error) => {
        if (child.pid === undefined) {
          resolve(this.end({ code: null, signal: null, spawnError: error.message }));
        }
      });
    });
    this.spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (error) => reject(error));
    });
    this.spawned.catch(() => undefined);
  }

  /** Starts the process. Whoever reads its stderr for a log may do so as well. */
  static start(spec: ServerSpawn): ServerProcess {
    const child = spawn(spec.command, [...spec.args], { env: spec.env, stdio: ['pipe', 'pipe', 'pipe'] });
    return new ServerProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How it ended, once it has. */
  get exit(): ServerExit | undefined {
    return this.ended;
  }

  /** The exit, waiting at most `ms` for it; undefined if the process is still running. */
  async exitWithin(ms: number): Promise<ServerExit | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lets it exit by itself for `graceMs` (the server finishes a running token refresh
   * before exiting), then SIGTERM; SIGKILL only if it outlives its own exit bound too. */
  async stop(graceMs: number): Promise<void> {
    if (await this.exitWithin(graceMs)) {
      return;
    }
    this.child.kill('SIGTERM');
    void this.exitWithin(KILL_AFTER_MS).then((exit) => {
      if (!exit) {
        this.child.kill('SIGKILL');
      }
    });
  }

  private end(exit: Omit<ServerExit, 'stderrTail'>): ServerExit {
    this.ended ??= { ...exit, stderrTail: this.stderr.snapshot() };
    return this.ended;
  }
}
