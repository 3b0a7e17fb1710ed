// What the sign-in UI offers, from login/start's answer: the two ways to sign in, and the
// actions and words of the sign-in panel. No vscode import.
import type { LoginMethod, LoginStartResult } from './protocol';

export interface MethodChoice {
  readonly method: LoginMethod;
  readonly label: string;
  readonly detail: string;
}

/** Browser first; the device code is for machines the browser's redirect cannot reach. */
export const METHOD_CHOICES: readonly MethodChoice[] = [
  {
    method: 'browser',
    label: '$(globe) Sign in with the browser',
    detail: 'Opens the ChatGPT sign-in page; if your browser cannot reach this machine, paste the address it ends on.',
  },
  {
    method: 'device',
    label: '$(device-mobile) Sign in on another device (device code)',
    detail: 'Shows a code to enter on the sign-in page in any browser: for remote machines (SSH, code-server, Codespaces).',
  },
];

export type SignInActionId = 'openPage' | 'copyLink' | 'paste' | 'copyCode';

export interface SignInAction {
  readonly id: SignInActionId;
  readonly label: string;
  /** The text the action copies or opens. */
  readonly value?: string;
}

/** The panel's actions for this login; only those the start's answer makes possible. */
export function signInActions(start: LoginStartResult): SignInAction[] {
  if (start.method === 'device') {
    const actions: SignInAction[] = [];
    if (start.user_code) {
      actions.push({ id: 'copyCode', label: `$(copy) Copy the code ${start.user_code}`, value: start.user_code });
    }
    if (start.verification_url) {
      actions.push(
        { id: 'openPage', label: `$(link-external) Open ${start.verification_url}`, value: start.verification_url },
        { id: 'copyLink', label: '$(copy) Copy the page address', value: start.verification_url },
      );
    }
    return actions;
  }
  const actions: SignInAction[] = [];
  if (start.authorize_url) {
    actions.push(
      { id: 'openPage', label: '$(link-external) Open the sign-in page again', value: start.authorize_url },
      { id: 'copyLink', label: '$(copy) Copy the sign-in link', value: start.authorize_url },
    );
  }
  actions.push({ id: 'paste', label: '$(clippy) Paste the address the browser ended on…' });
  return actions;
}

/** What the user has to do, in one line (the panel's title). */
export function signInInstruction(start: LoginStartResult): string {
  if (start.method === 'device') {
    return start.user_code && start.verification_url
      ? `Enter the code ${start.user_code} at ${start.verification_url}`
      : 'Enter the code on the sign-in page';
  }
  return start.callback_listening
    ? 'Finish signing in in your browser'
    : 'Sign in in your browser, then paste the address it ends on';
}

/** A progress message, reminding the device code (the panel may have been hidden). */
export function progressMessage(start: LoginStartResult, message: string): string {
  return start.method === 'device' && start.user_code ? `${message} (code ${start.user_code})` : message;
}
