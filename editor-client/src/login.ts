// Browser login (add an account or re-authenticate one). The server opens the authorize
// URL through window/showDocument; this shows progress with Cancel and offers pasting the
// redirect URL for machines whose browser cannot reach the loopback callback.
import * as vscode from 'vscode';
import { ErrorCode, Methods, Notifications, type AccountRef, type LoginProgress, type LoginResult, type LoginStartResult } from './protocol';
import type { ServerConnection } from './serverConnection';
import { errorMessage, reportError } from './ui';

export interface LoginOptions {
  readonly reauth?: AccountRef;
  readonly pin?: boolean;
}

export class LoginFlow implements vscode.Disposable {
  private readonly listeners = new Map<string, (progress: LoginProgress) => void>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly connection: ServerConnection, private readonly log: vscode.LogOutputChannel) {
    this.subscription = connection.onNotification(Notifications.loginProgress, (progress) => {
      this.listeners.get(progress.login_id)?.(progress);
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }

  /** Runs one login to the end; resolves undefined when it was cancelled or failed. */
  async run(options: LoginOptions = {}): Promise<LoginResult | undefined> {
    const action = options.reauth ? `Re-authenticating ${options.reauth.display_name}` : 'Adding an account';
    let start: LoginStartResult;
    try {
      start = await this.connection.request(Methods.loginStart, {
        method: 'browser',
        reauth: options.reauth?.key ?? null,
        pin: options.pin ?? false,
        open_browser: true,
      });
    } catch (error) {
      await reportError(error, action, this.log);
      return undefined;
    }
    if (!start.browser_open_requested && start.authorize_url) {
      await vscode.env.openExternal(vscode.Uri.parse(start.authorize_url));
    }
    try {
      const result = await this.waitWithProgress(start, action);
      void vscode.window.showInformationMessage(describeOutcome(result));
      return result;
    } catch (error) {
      await reportError(error, action, this.log);
      return undefined;
    }
  }

  private waitWithProgress(start: LoginStartResult, action: string): Thenable<LoginResult> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `MultiCodex: ${action}`, cancellable: true },
      async (progress, token) => {
        progress.report({ message: 'finish signing in in your browser…' });
        this.listeners.set(start.login_id, (p) => progress.report({ message: p.message }));
        const waitCancel = new vscode.CancellationTokenSource();
        const onCancel = token.onCancellationRequested(() => {
          waitCancel.cancel();
          void this.connection
            .request(Methods.loginCancel, { login_id: start.login_id })
            .catch((error: unknown) => this.log.warn(`Cancelling the login: ${errorMessage(error)}`));
        });
        const finished = { done: false };
        try {
          const wait = this.connection.request(Methods.loginWait, { login_id: start.login_id }, waitCancel.token);
          const pasted = this.offerPaste(start, finished);
          return await Promise.race([wait, pasted]);
        } finally {
          finished.done = true;
          this.listeners.delete(start.login_id);
          onCancel.dispose();
          waitCancel.dispose();
        }
      },
    );
  }

  /** Resolves when a pasted redirect URL finishes the login; never rejects while waiting. */
  private offerPaste(start: LoginStartResult, finished: { done: boolean }): Promise<LoginResult> {
    return new Promise<LoginResult>((resolve) => {
      const ask = async (): Promise<void> => {
        const actions = ['Paste Redirect URL…', 'Open Browser Again', 'Copy Login Link'];
        const choice = await vscode.window.showInformationMessage(
          'Sign in with ChatGPT in your browser. If the browser cannot reach this machine, ' +
            'paste the address it ends on.',
          ...actions,
        );
        if (finished.done || !choice) {
          return;
        }
        if (choice === actions[1] && start.authorize_url) {
          await vscode.env.openExternal(vscode.Uri.parse(start.authorize_url));
          return ask();
        }
        if (choice === actions[2] && start.authorize_url) {
          await vscode.env.clipboard.writeText(start.authorize_url);
          return ask();
        }
        const text = await vscode.window.showInputBox({
          title: 'MultiCodex: paste the redirect URL',
          prompt: 'The full address the browser ended on after signing in (it contains code= and state=).',
          placeHolder: start.redirect_uri ? `${start.redirect_uri}?code=…&state=…` : 'http://localhost:1455/auth/callback?code=…',
          ignoreFocusOut: true,
        });
        if (finished.done || !text?.trim()) {
          return;
        }
        try {
          resolve(await this.connection.request(Methods.loginPaste, { login_id: start.login_id, text: text.trim() }));
        } catch (error) {
          const pending = isPendingLoginFailure(error);
          await reportError(error, 'Finishing the login', this.log);
          if (pending && !finished.done) {
            return ask();
          }
        }
      };
      void ask();
    });
  }
}

function isPendingLoginFailure(error: unknown): boolean {
  const e = error as { code?: unknown; data?: { pending?: unknown } };
  return e?.code === ErrorCode.LOGIN_FAILED && e.data?.pending === true;
}

function describeOutcome(result: LoginResult): string {
  const name = result.account.display_name;
  switch (result.outcome) {
    case 'added':
      return `MultiCodex: added ${name}.`;
    case 'updated':
      return `MultiCodex: ${name} was already there; its login is renewed.`;
    case 'reauthenticated':
      return `MultiCodex: ${name} is re-authenticated.`;
  }
}
