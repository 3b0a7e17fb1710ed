// The loopback Codex emulator (`multicodex emulator`) and its /_emu control API.
import type { ChildProcess } from 'node:child_process';
import { firstLine, spawnTracked, stopTracked } from './processes';

export interface EmulatorAccount {
  account_id: string;
  email: string;
  plan: string;
  user_id: string;
}

export interface EmulatorTokens {
  id_token: string;
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

/** What the emulator logged of one request (the fields the tests read). */
export interface EmulatorRequest {
  id: number;
  path: string;
  account_id: string | null;
  status: number | null;
  prompt_cache_key: string | null;
  input_items: string[];
  tool_outputs: string[];
  tool_calls: string[];
  images: { source: 'data' | 'url' | 'file'; media_type: string | null; bytes: number | null }[];
  cached_tokens: number | null;
}

export interface EmulatorOptions {
  readonly accounts: number;
  readonly tokensPerSecond?: number;
}

export class Emulator {
  private constructor(private readonly child: ChildProcess, readonly baseUrl: string) {}

  static async start(python: string, options: EmulatorOptions): Promise<Emulator> {
    const args = ['-m', 'multicodex', 'emulator', '--port', '0', '--accounts', String(options.accounts)];
    if (options.tokensPerSecond !== undefined) {
      args.push('--tokens-per-second', String(options.tokensPerSecond));
    }
    const child = spawnTracked(python, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const baseUrl = await firstLine(child.stdout!, 30_000, 'multicodex emulator');
    if (!/^https?:\/\/127\.0\.0\.1:\d+$/.test(baseUrl)) {
      await stopTracked(child);
      throw new Error(`multicodex emulator printed ${JSON.stringify(baseUrl)} instead of its base URL`);
    }
    child.stdout!.resume();
    return new Emulator(child, baseUrl);
  }

  get backendUrl(): string {
    return `${this.baseUrl}/backend-api`;
  }

  /** Environment that points MultiCodex at this emulator. */
  serverEnv(home: string): Record<string, string> {
    return { MULTICODEX_HOME: home, MULTICODEX_AUTH_URL: this.baseUrl, MULTICODEX_BACKEND_URL: this.backendUrl };
  }

  accounts(): Promise<EmulatorAccount[]> {
    return this.control('GET', '/accounts');
  }

  createAccount(email: string): Promise<EmulatorAccount> {
    return this.control('POST', '/accounts', { email });
  }

  issueTokens(accountId: string): Promise<EmulatorTokens> {
    return this.control('POST', `/accounts/${accountId}/tokens`);
  }

  setUsage(accountId: string, usage: { five_hour_used?: number; weekly_used?: number }): Promise<unknown> {
    return this.control('POST', `/accounts/${accountId}/usage`, usage);
  }

  authorizeAs(accountId: string): Promise<unknown> {
    return this.control('POST', '/authorize-as', { account_id: accountId });
  }

  /** Changes emulator settings, e.g. `{ device_auto_approve_after: 10_000 }` so that only
   * approveDevice confirms a device code. */
  updateSettings(patch: Record<string, unknown>): Promise<unknown> {
    return this.control('POST', '/settings', patch);
  }

  /** Confirms a device code as the user would on the verification page. */
  approveDevice(userCode: string, accountId: string): Promise<unknown> {
    return this.control('POST', '/device/approve', { user_code: userCode, account_id: accountId });
  }

  /** The requests the emulator logged (`path` filters by path), oldest first. */
  requests(path?: string): Promise<EmulatorRequest[]> {
    return this.control('GET', `/requests${path ? `?path=${encodeURIComponent(path)}` : ''}`);
  }

  async stop(): Promise<void> {
    await stopTracked(this.child);
  }

  private async control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(10_000) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const response = await fetch(`${this.baseUrl}/_emu${path}`, init);
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`emulator ${method} ${path}: HTTP ${response.status} ${text}`);
    }
    return JSON.parse(text) as T;
  }
}
