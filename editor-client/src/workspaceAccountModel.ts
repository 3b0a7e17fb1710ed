// A window's own account (multicodex.workspaceAccount) serves every request of that window;
// when it cannot, the user is told why and asked before the pool serves that one request
// (never a silent substitution). The vscode side supplies the question's dialog.
import {
  ErrorCode,
  type AccountNotFoundData,
  type CompleteParams,
  type NeedsReauthData,
  type PoolExhaustedData,
} from './protocol';

export const USE_POOL = 'Use the pool';
export const CANCEL = 'Cancel';

export interface PoolQuestion {
  readonly message: string;
  readonly choices: readonly [typeof USE_POOL, typeof CANCEL];
}

/** Shows the question; resolves with the choice, undefined when dismissed. */
export type AskUser = (question: PoolQuestion) => PromiseLike<string | undefined>;

interface ErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly data?: unknown;
}

/**
 * The question to ask when a request this window's account was to serve failed because
 * that account cannot serve; undefined for any other failure or request.
 */
export function poolQuestion(
  error: unknown,
  params: CompleteParams,
  workspaceAccount: string | null | undefined,
): PoolQuestion | undefined {
  if (!workspaceAccount || params.account_key || params.use_pool) {
    return undefined;
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const name = accountNamed(e);
  if (name === undefined) {
    return undefined;
  }
  const reason = reasonOf(typeof e.message === 'string' ? e.message : '', name);
  return {
    message: `${name} (this workspace's account) cannot serve now: ${reason}. Use another account for this request?`,
    choices: [USE_POOL, CANCEL],
  };
}

/**
 * Sends `params`; when this window's account cannot serve, asks the user and, on
 * "Use the pool", sends the request again with `use_pool` (the stream is restarted so its
 * deltas count from 0 again). A declined question leaves the original failure.
 */
export async function completeAskingForPool<T>(
  params: CompleteParams,
  workspaceAccount: string | null | undefined,
  send: (params: CompleteParams) => Promise<T>,
  askUser: AskUser,
  restartStream: (streamId: string) => void,
): Promise<T> {
  try {
    return await send(params);
  } catch (error) {
    const question = poolQuestion(error, params, workspaceAccount);
    if (question === undefined || (await askUser(question)) !== USE_POOL) {
      throw error;
    }
    restartStream(params.stream_id);
    return send({ ...params, use_pool: true });
  }
}

function accountNamed(e: ErrorLike): string | undefined {
  switch (e.code) {
    case ErrorCode.ACCOUNT_NOT_FOUND:
      return (e.data as AccountNotFoundData | undefined)?.key;
    case ErrorCode.NEEDS_REAUTH:
      return (e.data as NeedsReauthData | undefined)?.account?.display_name;
    case ErrorCode.POOL_EXHAUSTED: {
      const accounts = (e.data as PoolExhaustedData | undefined)?.accounts ?? [];
      return accounts.length === 1 ? accounts[0]?.account.display_name : undefined;
    }
    default:
      return undefined;
  }
}

/** The server's words without the account's name it starts with (the question says it). */
function reasonOf(message: string, name: string): string {
  let reason = message.trim().replace(/\.$/, '');
  if (reason.startsWith(`${name} `)) {
    reason = reason.slice(name.length + 1);
  }
  return reason.replace(/^cannot serve this request now; /, '');
}
