// A JSON-RPC session with the real `multicodex serve`, over stdio, using the same method
// and notification types as the extension (src/protocol.ts).
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import {
  Methods,
  Notifications,
  type CompletionDelta,
  type InitializationOptions,
  type ServerCapabilitiesExtension,
  type Status,
} from '../../src/protocol';
import type { Emulator } from './emulator';
import { spawnTracked, stopTracked, waitFor } from './processes';

export class ServerSession {
  readonly statuses: Status[] = [];
  readonly deltas: CompletionDelta[] = [];
  readonly stderr: string[] = [];
  capabilities: ServerCapabilitiesExtension | undefined;
  private readonly deltaListeners = new Set<(delta: CompletionDelta) => void>();

  private constructor(private readonly child: ChildProcess, readonly connection: MessageConnection) {
    connection.onNotification(Notifications.status, (status) => {
      this.statuses.push(status);
    });
    connection.onNotification(Notifications.completionDelta, (delta) => {
      this.deltas.push(delta);
      this.deltaListeners.forEach((listener) => listener(delta));
    });
    connection.onNotification('window/logMessage', () => undefined);
    connection.onRequest('window/showDocument', () => ({ success: true }));
    connection.onRequest('workspace/configuration', () => []);
    connection.onRequest('window/workDoneProgress/create', () => null);
  }

  /** Calls `listener` with every delta from now on (beside recording it); returns the unsubscribe. */
  onDelta(listener: (delta: CompletionDelta) => void): () => void {
    this.deltaListeners.add(listener);
    return () => this.deltaListeners.delete(listener);
  }

  static async start(
    python: string,
    env: Record<string, string>,
    options: InitializationOptions = {},
  ): Promise<ServerSession> {
    const child = spawnTracked(python, ['-m', 'multicodex', 'serve'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env, PYTHONUNBUFFERED: '1' },
    });
    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
    );
    const session = new ServerSession(child, connection);
    child.stderr!.on('data', (chunk: Buffer) => session.stderr.push(chunk.toString('utf8')));
    connection.listen();
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => {
        reject(new Error(`multicodex serve exited (${signal ?? code}) before answering: ${session.stderr.join('').slice(-2000)}`));
      });
    });
    exited.catch(() => undefined);
    const initialize = withTimeout(
      connection.sendRequest('initialize', {
        processId: process.pid,
        clientInfo: { name: 'multicodex-contract-test' },
        rootUri: null,
        capabilities: { window: { showDocument: { support: true }, workDoneProgress: true } },
        initializationOptions: options,
      }) as Promise<{ capabilities: { experimental?: { multicodex?: ServerCapabilitiesExtension } } }>,
      30_000,
      'initialize',
    );
    const result = await Promise.race([initialize, exited]);
    session.capabilities = result.capabilities.experimental?.multicodex;
    await connection.sendNotification('initialized', {});
    return session;
  }

  /** The newest status push that satisfies `predicate`, waiting up to `timeoutMs`. */
  waitForStatus(predicate: (status: Status) => boolean, timeoutMs: number, what: string): Promise<Status> {
    return waitFor(() => [...this.statuses].reverse().find(predicate), timeoutMs, `status: ${what}`);
  }

  async stop(): Promise<void> {
    try {
      await withTimeout(this.connection.sendRequest('shutdown'), 5000, 'shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      // The process is stopped below either way.
    }
    this.connection.dispose();
    await stopTracked(this.child);
  }
}

/** Writes one Codex CLI auth.json per emulator account and imports them all. */
export async function seedAccounts(session: ServerSession, emulator: Emulator, dir: string): Promise<string[]> {
  const accounts = await emulator.accounts();
  const sources = [];
  for (const account of accounts) {
    const tokens = await emulator.issueTokens(account.account_id);
    const file = path.join(dir, `codex-${account.account_id}`, 'auth.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify({
        OPENAI_API_KEY: null,
        tokens: {
          id_token: tokens.id_token,
          access_token: tokens.access_token,
          refresh_token: tokens.refresh_token,
          account_id: account.account_id,
        },
        last_refresh: new Date().toISOString(),
      }),
      { mode: 0o600 },
    );
    sources.push({ kind: 'codex-cli' as const, path: file });
  }
  const result = await session.connection.sendRequest(Methods.accountsImport, { sources, link: false });
  if (result.added_count !== accounts.length) {
    throw new Error(`imported ${result.added_count} of ${accounts.length} accounts: ${JSON.stringify(result.sources)}`);
  }
  return accounts.map((account) => account.email);
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
