// The per-account operations, shared by the picker's buttons and the palette commands.
import * as vscode from 'vscode';
import type { LoginFlow } from './login';
import { Methods, type AccountInfo, type AccountRef, type AccountsListResult, type ResetTarget } from './protocol';
import type { ServerConnection } from './serverConnection';
import { reportError } from './ui';

export class AccountActions {
  constructor(
    private readonly connection: ServerConnection,
    private readonly login: LoginFlow,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async list(refreshStale = false): Promise<AccountsListResult> {
    return this.connection.request(Methods.accountsList, { refresh_stale: refreshStale });
  }

  /** Pins an account; true when it is now active. */
  async use(account: AccountRef): Promise<boolean> {
    try {
      const result = await this.connection.request(Methods.accountsUse, { key: account.key });
      this.log.info(`Pinned ${result.account.display_name}.`);
      return true;
    } catch (error) {
      await reportError(error, `Switching to ${account.display_name}`, this.log);
      return false;
    }
  }

  /** Forces a token check and usage fetch of one account, or of all when undefined. */
  async refresh(account?: AccountRef): Promise<void> {
    const what = account ? `Refreshing ${account.display_name}` : 'Refreshing all accounts';
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `MultiCodex: ${what}` },
        () => this.connection.request(Methods.accountsRefresh, { key: account?.key ?? null }),
      );
      const problems = result.errors.map((e) => `${e.account.display_name}: ${e.message}`);
      const message = `MultiCodex: ${result.summary}${problems.length ? ` (${problems.join('; ')})` : ''}`;
      if (result.failed > 0 || result.needs_reauth > 0) {
        void vscode.window.showWarningMessage(message);
      } else {
        void vscode.window.showInformationMessage(message);
      }
    } catch (error) {
      await reportError(error, what, this.log);
    }
  }

  async reauth(account: AccountRef): Promise<void> {
    await this.login.run({ reauth: account });
  }

  async add(): Promise<void> {
    await this.login.run({});
  }

  /** Removes an account after the user confirms; true when it was removed. */
  async remove(account: AccountRef, isActive: boolean): Promise<boolean> {
    const detail = isActive
      ? 'This account is currently active; MultiCodex will switch to another account.'
      : 'Its credentials are deleted from the MultiCodex store (files of other tools are not touched).';
    const confirm = await vscode.window.showWarningMessage(
      `Remove ${account.display_name} from MultiCodex?`,
      { modal: true, detail },
      'Remove',
    );
    if (confirm !== 'Remove') {
      return false;
    }
    try {
      const result = await this.connection.request(Methods.accountsRemove, { key: account.key });
      void vscode.window.showInformationMessage(`MultiCodex: removed ${result.removed.display_name}.`);
      return true;
    } catch (error) {
      await reportError(error, `Removing ${account.display_name}`, this.log);
      return false;
    }
  }

  async rename(account: AccountRef): Promise<void> {
    const label = await vscode.window.showInputBox({
      title: `MultiCodex: name ${account.display_name}`,
      prompt: 'Display name (empty clears it)',
      value: account.display_name,
    });
    if (label === undefined) {
      return;
    }
    try {
      await this.connection.request(Methods.accountsLabel, { key: account.key, label: label.trim() || null });
    } catch (error) {
      await reportError(error, `Renaming ${account.display_name}`, this.log);
    }
  }

  async reset(target: ResetTarget): Promise<void> {
    try {
      const result = await this.connection.request(Methods.accountsReset, { target });
      void vscode.window.showInformationMessage(`MultiCodex: ${result.summary}`);
    } catch (error) {
      await reportError(error, 'Reset', this.log);
    }
  }

  /** Lets the user choose an account (for palette commands run without one). */
  async choose(placeHolder: string, filter: (a: AccountInfo) => boolean = () => true): Promise<AccountInfo | undefined> {
    let accounts: AccountInfo[];
    try {
      accounts = (await this.list()).accounts.filter(filter);
    } catch (error) {
      await reportError(error, 'Listing accounts', this.log);
      return undefined;
    }
    if (accounts.length === 0) {
      void vscode.window.showInformationMessage('MultiCodex: no matching accounts.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      accounts.map((account) => ({ label: account.display_name, description: account.usage_line, account })),
      { placeHolder, matchOnDescription: true },
    );
    return picked?.account;
  }
}
