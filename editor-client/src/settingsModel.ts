// The extension's settings as typed values. Settings are read through an injected getter
// that returns only what the user set explicitly (undefined otherwise): the server keeps
// its own stored preferences, and only explicit editor settings override them.
import type { ServerStartSettings } from './serverCommand';
import {
  FooterOrderValues,
  LogLevelValues,
  ResetCreditConfirmValues,
  ResetWindowValues,
  UsageModeValues,
  WhenExhaustedValues,
  type FooterPatch,
  type InitializationOptions,
  type RotationPatch,
} from './protocol';

export interface ExtensionSettings {
  readonly server: ServerStartSettings;
  readonly footerVisible: boolean;
  /** The footer adds the pool's headroom (the editor's own setting; the server has none). */
  readonly footerShowPool: boolean;
  /** Model used by the Ask command; empty means the server's default model. */
  readonly askModel: string;
  /** How long a chat request may wait for the earliest reset when every account is used up; 0: fail at once. */
  readonly chatWaitForResetSeconds: number;
  /** What the server receives in initializationOptions (and the patches on change). */
  readonly forServer: InitializationOptions;
}

/** Reads one explicitly-set setting below `multicodex.`; undefined when unset. */
export type SettingReader = (key: string) => unknown;

/** The settings (below `multicodex.`) a server start reads: a change restarts the server. */
export const RESTART_SETTINGS: readonly string[] = ['server', 'home', 'store', 'workspaceAccount', 'proxy'];

type FooterField = keyof FooterPatch;

/** VS Code setting key (below `multicodex.`) → footer field on the wire. */
export const FOOTER_SETTING_KEYS: Readonly<Record<FooterField, string>> = {
  usage_mode: 'footer.usageMode',
  reset_window: 'footer.resetWindow',
  show_account: 'footer.showAccount',
  show_reset: 'footer.showReset',
  order: 'footer.order',
  compact: 'footer.compact',
};

const BOOLEANS: readonly boolean[] = [true, false];

/** What initializationOptions may carry, from the generated protocol (no server yet). */
const FOOTER_CHOICES: Readonly<Record<FooterField, readonly (string | boolean)[]>> = {
  usage_mode: UsageModeValues,
  reset_window: ResetWindowValues,
  show_account: BOOLEANS,
  show_reset: BOOLEANS,
  order: FooterOrderValues,
  compact: BOOLEANS,
};

/**
 * `readUser` reads the machine-scoped settings (`store`): their User or Remote value only,
 * never a workspace's, since they say where the accounts and their tokens go.
 */
export function readExtensionSettings(read: SettingReader, readUser: SettingReader = read): ExtensionSettings {
  const forServer: InitializationOptions = {
    log_level: oneOf(read('server.logLevel'), LogLevelValues) ?? 'warning',
  };
  const home = stringOr(read('home'), '').trim();
  if (home) {
    forServer.home = home;
  }
  const store = stringOr(readUser('store'), '').trim();
  if (store) {
    forServer.store = store;
  }
  const workspaceAccount = stringOr(read('workspaceAccount'), '').trim();
  if (workspaceAccount) {
    forServer.workspace_account = workspaceAccount;
  }
  const footer = readFooterPatch(read);
  if (Object.keys(footer).length > 0) {
    forServer.footer = footer;
  }
  const rotation = readRotationPatch(read);
  if (Object.keys(rotation).length > 0) {
    forServer.rotation = rotation;
  }
  if (read('proxy.enabled') === true) {
    forServer.proxy = { enabled: true, port: integerIn(read('proxy.port'), 0, 65535) ?? 18765 };
  }
  return {
    server: {
      command: stringOr(read('server.command'), ''),
      args: stringArray(read('server.args')),
      python: stringOr(read('server.python'), ''),
      env: stringRecord(read('server.env')),
    },
    footerVisible: booleanOr(read('footer.enabled'), true),
    footerShowPool: booleanOr(read('footer.showPool'), true),
    askModel: stringOr(read('ask.model'), '').trim(),
    chatWaitForResetSeconds: (integerIn(read('chat.waitForResetMinutes'), 0, 300) ?? 0) * 60,
    forServer,
  };
}

/** The footer preferences the user set in VS Code, as a patch over the stored ones. */
export function readFooterPatch(read: SettingReader): FooterPatch {
  const patch: Record<string, string | boolean> = {};
  for (const [field, key] of Object.entries(FOOTER_SETTING_KEYS) as [FooterField, string][]) {
    const value = read(key);
    if ((FOOTER_CHOICES[field] as readonly unknown[]).includes(value)) {
      patch[field] = value as string | boolean;
    }
  }
  return patch as FooterPatch;
}

export function readRotationPatch(read: SettingReader): RotationPatch {
  const patch: RotationPatch = {};
  const strategy = stringOr(read('rotation.strategy'), '').trim();
  if (strategy) {
    patch.strategy = strategy;
  }
  const retryLimit = integerIn(read('rotation.retryLimit'), 0, 50);
  if (retryLimit !== undefined) {
    patch.retry_limit = retryLimit;
  }
  const cooldown = integerIn(read('rotation.fallbackCooldownSeconds'), 1, Number.MAX_SAFE_INTEGER);
  if (cooldown !== undefined) {
    patch.fallback_cooldown_seconds = cooldown;
  }
  const sticky = read('rotation.sticky');
  if (typeof sticky === 'boolean') {
    patch.sticky = sticky;
  }
  const whenExhausted = oneOf(read('rotation.whenExhausted'), WhenExhaustedValues);
  if (whenExhausted !== undefined) {
    patch.when_exhausted = whenExhausted;
  }
  const confirm = oneOf(read('rotation.resetCreditConfirm'), ResetCreditConfirmValues);
  if (confirm !== undefined) {
    patch.reset_credit_confirm = confirm;
  }
  return patch;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function booleanOr(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return allowed.includes(value as T) ? (value as T) : undefined;
}

function integerIn(value: unknown, min: number, max: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? value
    : undefined;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {};
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return Object.fromEntries(entries);
}
