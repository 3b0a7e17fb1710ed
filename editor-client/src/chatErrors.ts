// A failed chat request in chat terms: what the user reads in VS Code's chat when the pool
// cannot answer (the earliest reset in local time and how to wait for it, which account
// needs a new login and how), never the JSON-RPC details. Pure: no vscode import.
import {
  ErrorCode,
  type ModelUnavailableData,
  type NeedsReauthData,
  type PoolExhaustedData,
  type RateLimitedData,
} from './protocol';
import { clockTime, resetIn } from './timeFormat';

export interface ChatTime {
  /** Unix seconds. */
  readonly now: number;
  /** IANA zone for wall-clock times; the machine's when undefined. */
  readonly timeZone?: string;
}

export type ChatFailure =
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'error'; readonly message: string };

/** The setting that lets chat requests wait for the earliest reset. */
export const WAIT_SETTING = 'multicodex.chat.waitForResetMinutes';
const REAUTH_COMMAND = '“MultiCodex: Re-authenticate Account…”';
const ADD_COMMAND = '“MultiCodex: Add Account”';

interface ErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly data?: unknown;
}

export function chatFailure(error: unknown, time: ChatTime): ChatFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const text = typeof e.message === 'string' ? e.message : String(error);
  switch (e.code) {
    case ErrorCode.REQUEST_CANCELLED:
      return { kind: 'cancelled' };
    case ErrorCode.POOL_EXHAUSTED:
      return failed(exhausted(e.data as PoolExhaustedData | undefined, time));
    case ErrorCode.NEEDS_REAUTH:
      return failed(reauth(e.data as NeedsReauthData | undefined, text));
    case ErrorCode.NO_ACCOUNTS:
      return failed(`MultiCodex has no accounts yet. Run ${ADD_COMMAND} to sign in with a ChatGPT account.`);
    case ErrorCode.MODEL_UNAVAILABLE:
      return failed(modelUnavailable(e.data as ModelUnavailableData | undefined, text));
    case ErrorCode.RATE_LIMITED:
      return failed(rateLimited(e.data as RateLimitedData | undefined, time));
    default:
      return failed(`MultiCodex: ${text}`);
  }
}

function failed(message: string): ChatFailure {
  return { kind: 'error', message };
}

function exhausted(data: PoolExhaustedData | undefined, time: ChatTime): string {
  const reset = data?.earliest_reset ?? null;
  const when = reset === null
    ? 'no reset time is known yet'
    : `the earliest reset is at ${clockTime(reset, time.now, time.timeZone)} (${resetIn(reset, time.now)})`;
  const waited = data && data.waited_seconds > 0 ? ` after waiting ${Math.round(data.waited_seconds / 60)} min` : '';
  const lines = [
    `Every MultiCodex account has used up its Codex quota${waited}; ${when}.`,
    `Send the request again then, or set ${WAIT_SETTING} to let chat requests wait for the reset.`,
  ];
  const dead = (data?.accounts ?? []).filter((a) => a.state === 'needs_reauth').map((a) => a.account.display_name);
  if (dead.length > 0) {
    lines.push(`${dead.join(', ')} ${dead.length === 1 ? 'needs' : 'need'} a new login: run ${REAUTH_COMMAND}.`);
  }
  return lines.join(' ');
}

function reauth(data: NeedsReauthData | undefined, text: string): string {
  const name = data?.account.display_name;
  if (!name) {
    return `MultiCodex: ${text}. Run ${REAUTH_COMMAND}.`;
  }
  const why = data.reason ? ` (${data.reason})` : '';
  return `MultiCodex account ${name} needs a new login${why}. Run ${REAUTH_COMMAND} and choose ${name}, then send the request again.`;
}

function modelUnavailable(data: ModelUnavailableData | undefined, text: string): string {
  if (!data) {
    return `MultiCodex: ${text}`;
  }
  const others = data.servable_models.length > 0 ? ` Models the pool can serve: ${data.servable_models.join(', ')}.` : '';
  return `No MultiCodex account can serve ${data.model} now.${others}`;
}

function rateLimited(data: RateLimitedData | undefined, time: ChatTime): string {
  const retry = data?.retry_at ?? null;
  const when = retry === null ? 'in a moment' : `at ${clockTime(retry, time.now, time.timeZone)} (${resetIn(retry, time.now)})`;
  return `The Codex backend is throttling every MultiCodex account it tried; try again ${when}.`;
}
