// Adding an account or re-authenticating one, with the browser or a device code. While the
// login runs there is a progress notification (Cancel stops the login) and a sign-in panel
// with what to do (open or copy the page, copy the code, paste the redirect address on
// machines the browser cannot reach). Both close the moment the login ends; the outcome
// or the error is shown after that.
import * as vscode from 'vscode';
import {
  METHOD_CHOICES,
  progressMessage,
  signInActions,
  signInInstruction,
  type SignInAction,
} from './loginModel';
import {
  ErrorCode,
  Methods,
  Notifications,
  type AccountRef,
  type LoginMethod,
  type LoginProgress,
  type LoginResult,
  type LoginStartResult,
} from './protocol';
import type { ServerConnection } from './serverConnection';
import { errorMessage, reportError } from './ui';

export interface LoginOptions {
  readonly reauth?: AccountRef;
  readonly pin?: boolean;
  /** Skips the choice between the browser and a device code. */
  readonly method?: LoginMethod;
}

type Outcome = { readonly result: LoginResult } | { readonly error: unknown };

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
    const method = options.method ?? (await chooseMethod(action));
    if (!method) {
      return undefined;
    }
    let start: LoginStartResult;
    try {
      start = await this.connection.request(Methods.loginStart, {
        method,
        reauth: options.reauth?.key ?? null,
        pin: options.pin ?? false,
        open_browser: true,
      });
    } catch (error) {
      await reportError(error, action, this.log);
      return undefined;
    }
    const page = start.authorize_url ?? start.verification_url;
    if (!start.browser_open_requested && page) {
      await vscode.env.openExternal(vscode.Uri.parse(page));
    }
    const outcome = await this.waitWithProgress(start, action);
    if ('error' in outcome) {
      await reportError(outcome.error, action, this.log);
      return undefined;
    }
    void vscode.window.showInformationMessage(describeOutcome(outcome.result));
    return outcome.result;
  }

  /** Waits for the login with the progress and the panel up; both are closed on return. */
  private waitWithProgress(start: LoginStartResult, action: string): Thenable<Outcome> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `MultiCodex: ${action}`, cancellable: true },
      async (progress, token): Promise<Outcome> => {
        progress.report({ message: `${signInInstruction(start)}…` });
        this.listeners.set(start.login_id, (p) => progress.report({ message: progressMessage(start, p.message) }));
        const waitCancel = new vscode.CancellationTokenSource();
        const onCancel = token.onCancellationRequested(() => {
          waitCancel.cancel();
          void this.connection
            .request(Methods.loginCancel, { login_id: start.login_id })
            .catch((error: unknown) => this.log.warn(`Cancelling the login: ${errorMessage(error)}`));
        });
        const panel = new SignInPanel(start, action, (text) => this.paste(start, text));
        try {
          const wait = this.connection.request(Methods.loginWait, { login_id: start.login_id }, waitCancel.token);
          return { result: await Promise.race([wait, panel.pasted]) };
        } catch (error) {
          return { error };
        } finally {
          panel.dispose();
          this.listeners.delete(start.login_id);
          onCancel.dispose();
          waitCancel.dispose();
        }
      },
    );
  }

  private paste(start: LoginStartResult, text: string): Promise<LoginResult> {
    return this.connection.request(Methods.loginPaste, { login_id: start.login_id, text });
  }
}

async function chooseMethod(action: string): Promise<LoginMethod | undefined> {
  const picked = await vscode.window.showQuickPick(
    METHOD_CHOICES.map((choice) => ({ label: choice.label, detail: choice.detail, method: choice.method })),
    { title: `MultiCodex: ${action}`, placeHolder: 'How do you want to sign in?', ignoreFocusOut: true },
  );
  return picked?.method;
}

interface ActionItem extends vscode.QuickPickItem {
  readonly action: SignInAction;
}

/** The sign-in panel: a quick pick of actions (and the paste box), closed by dispose(). */
class SignInPanel implements vscode.Disposable {
  private readonly quickPick = vscode.window.createQuickPick<ActionItem>();
  private inputBox: vscode.InputBox | undefined;
  private disposed = false;
  private resolvePasted: (result: LoginResult) => void = () => undefined;
  /** Resolves when a pasted redirect address finished the login; never rejects. */
  readonly pasted = new Promise<LoginResult>((resolve) => {
    this.resolvePasted = resolve;
  });

  constructor(
    private readonly start: LoginStartResult,
    action: string,
    private readonly paste: (text: string) => Promise<LoginResult>,
  ) {
    const quickPick = this.quickPick;
    quickPick.title = `MultiCodex: ${action}: ${signInInstruction(start)}`;
    quickPick.placeholder = 'Waiting for the sign-in… (Escape hides this; Cancel in the notification stops the login)';
    quickPick.items = signInActions(start).map((a) => ({ label: a.label, action: a }));
    quickPick.busy = true;
    quickPick.ignoreFocusOut = true;
    quickPick.onDidAccept(() => void this.run(quickPick.activeItems[0]?.action));
    quickPick.show();
  }

  dispose(): void {
    this.disposed = true;
    this.quickPick.dispose();
    this.inputBox?.dispose();
  }

  private async run(action: SignInAction | undefined): Promise<void> {
    if (!action || this.disposed) {
      return;
    }
    switch (action.id) {
      case 'openPage':
        await vscode.env.openExternal(vscode.Uri.parse(action.value ?? ''));
        return;
      case 'copyLink':
      case 'copyCode':
        await vscode.env.clipboard.writeText(action.value ?? '');
        void vscode.window.setStatusBarMessage('MultiCodex: copied', 3000);
        return;
      case 'paste':
        this.askForRedirect();
        return;
    }
  }

  private askForRedirect(): void {
    const box = vscode.window.createInputBox();
    this.inputBox = box;
    box.title = 'MultiCodex: paste the address the browser ended on';
    box.prompt = 'The full address after signing in (it contains code= and state=).';
    box.placeholder = this.start.redirect_uri
      ? `${this.start.redirect_uri}?code=…&state=…`
      : 'http://localhost:1455/auth/callback?code=…';
    box.ignoreFocusOut = true;
    box.onDidAccept(async () => {
      const text = box.value.trim();
      if (!text) {
        return;
      }
      box.busy = true;
      try {
        this.resolvePasted(await this.paste(text));
      } catch (error) {
        box.busy = false;
        // Any other failure ended the login: the wait reports it and closes this box.
        if (isPendingLoginFailure(error)) {
          box.validationMessage = `${errorMessage(error)} Paste the whole address again.`;
        }
      }
    });
    box.onDidHide(() => {
      if (!this.disposed) {
        this.quickPick.show();
      }
    });
    box.show();
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
