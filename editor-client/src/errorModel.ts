// What to tell the user when a server request fails, and which follow-up to offer.
import {
  ErrorCode,
  type AccountRef,
  type NeedsReauthData,
  type PoolExhaustedData,
  type StoreCorruptData,
} from './protocol';

export type FollowUp =
  | { readonly kind: 'reauth'; readonly account: AccountRef }
  | { readonly kind: 'addAccount' }
  | { readonly kind: 'startEmptyStore'; readonly movedTo: string | undefined }
  | { readonly kind: 'showLogs' };

export interface ErrorReport {
  readonly message: string;
  readonly followUps: FollowUp[];
  /** Cancellation is not an error the user needs to see. */
  readonly silent: boolean;
}

interface ErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly data?: unknown;
}

/** The action offered when the store was found corrupt (also its confirmation button). */
export const START_EMPTY_LABEL = 'Start with an empty store';

export function describeError(error: unknown, action: string): ErrorReport {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const text = typeof e.message === 'string' ? e.message : String(error);
  const code = typeof e.code === 'number' ? e.code : undefined;
  const message = `MultiCodex: ${action} failed: ${text}`;
  switch (code) {
    case ErrorCode.REQUEST_CANCELLED:
      return { message: `MultiCodex: ${action} cancelled.`, followUps: [], silent: true };
    case ErrorCode.NEEDS_REAUTH: {
      const data = e.data as NeedsReauthData | undefined;
      return data?.account
        ? { message, followUps: [{ kind: 'reauth', account: data.account }], silent: false }
        : { message, followUps: [], silent: false };
    }
    case ErrorCode.NO_ACCOUNTS:
      return { message, followUps: [{ kind: 'addAccount' }], silent: false };
    case ErrorCode.POOL_EXHAUSTED: {
      const data = e.data as PoolExhaustedData | undefined;
      const reauth = data?.accounts.find((a) => a.state === 'needs_reauth');
      return reauth
        ? { message, followUps: [{ kind: 'reauth', account: reauth.account }], silent: false }
        : { message, followUps: [], silent: false };
    }
    case ErrorCode.STORE_CORRUPT: {
      // The server's message names the moved file; the follow-up asks before recovering.
      const data = e.data as StoreCorruptData | undefined;
      const movedTo = typeof data?.moved_to === 'string' ? data.moved_to : undefined;
      return { message, followUps: [{ kind: 'startEmptyStore', movedTo }], silent: false };
    }
    case ErrorCode.INTERNAL_ERROR:
    case undefined:
      return { message, followUps: [{ kind: 'showLogs' }], silent: false };
    default:
      return { message, followUps: [], silent: false };
  }
}

export function followUpLabel(followUp: FollowUp): string {
  switch (followUp.kind) {
    case 'reauth':
      return `Re-authenticate ${followUp.account.display_name}`;
    case 'addAccount':
      return 'Add Account';
    case 'startEmptyStore':
      return START_EMPTY_LABEL;
    case 'showLogs':
      return 'Show Logs';
  }
}
