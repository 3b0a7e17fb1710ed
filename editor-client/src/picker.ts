// The account picker: one row per account with its usage line; item buttons refresh,
// re-authenticate or remove; Enter pins; title buttons add an account or refresh all.
// Rows follow the server's status pushes while the picker is open.
import * as vscode from 'vscode';
import type { AccountActions } from './accountActions';
import { pickerRows, pickerTitle } from './pickerModel';
import type { AccountInfo, ActiveAccount } from './protocol';
import type { StatusBar } from './statusBar';
import { reportError } from './ui';

interface AccountItem extends vscode.QuickPickItem {
  readonly account: AccountInfo;
}

const refreshButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('refresh'), tooltip: 'Refresh usage' };
const reauthButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('key'), tooltip: 'Re-authenticate' };
const removeButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Remove account' };
const addButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('add'), tooltip: 'Add account' };
const refreshAllButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('refresh'), tooltip: 'Refresh all accounts' };

export class AccountPicker {
  constructor(
    private readonly actions: AccountActions,
    private readonly statusBar: StatusBar,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async show(): Promise<void> {
    const quickPick = vscode.window.createQuickPick<AccountItem>();
    quickPick.placeholder = 'Enter pins the account · buttons: refresh, re-authenticate, remove';
    quickPick.matchOnDescription = true;
    quickPick.matchOnDetail = true;
    quickPick.buttons = [addButton, refreshAllButton];
    const disposables: vscode.Disposable[] = [];
    const render = (accounts: AccountInfo[], active: ActiveAccount | null, needsReauth: number): void => {
      const focusedKey = quickPick.activeItems[0]?.account.key;
      const rows = pickerRows(accounts, active, { now: Date.now() / 1000 });
      const items = rows.map((row, index): AccountItem => ({
        label: row.label,
        description: row.description,
        detail: row.detail,
        account: accounts[index] as AccountInfo,
        buttons: [refreshButton, reauthButton, removeButton],
      }));
      quickPick.title = pickerTitle(accounts.length, needsReauth);
      quickPick.items = items;
      const focus = items.find((i) => i.account.key === focusedKey) ?? items.find((i) => i.account.is_active);
      if (focus) {
        quickPick.activeItems = [focus];
      }
    };
    const latest = this.statusBar.latest;
    if (latest) {
      render(latest.accounts, latest.active, latest.needs_reauth.length);
    }
    disposables.push(
      this.statusBar.onDidChangeStatus((status) => render(status.accounts, status.active, status.needs_reauth.length)),
      quickPick.onDidTriggerItemButton(async (event) => {
        const account = event.item.account;
        if (event.button === refreshButton) {
          await this.busy(quickPick, () => this.actions.refresh(account));
        } else if (event.button === reauthButton) {
          quickPick.hide();
          await this.actions.reauth(account);
        } else if (event.button === removeButton) {
          quickPick.ignoreFocusOut = true;
          await this.actions.remove(account, account.is_active);
          quickPick.ignoreFocusOut = false;
        }
      }),
      quickPick.onDidTriggerButton(async (button) => {
        if (button === addButton) {
          quickPick.hide();
          await this.actions.add();
        } else if (button === refreshAllButton) {
          await this.busy(quickPick, () => this.actions.refresh());
        }
      }),
      quickPick.onDidAccept(async () => {
        const selected = quickPick.selectedItems[0];
        if (!selected) {
          return;
        }
        quickPick.hide();
        if (selected.account.state === 'needs_reauth') {
          await this.actions.reauth(selected.account);
        } else {
          await this.actions.use(selected.account);
        }
      }),
      quickPick.onDidHide(() => {
        for (const disposable of disposables) {
          disposable.dispose();
        }
        quickPick.dispose();
      }),
    );
    quickPick.busy = true;
    quickPick.show();
    try {
      const list = await this.actions.list();
      if (list.no_accounts) {
        quickPick.hide();
        const choice = await vscode.window.showInformationMessage('MultiCodex has no accounts yet.', 'Add Account', 'Import Accounts');
        if (choice === 'Add Account') {
          await this.actions.add();
        } else if (choice === 'Import Accounts') {
          await vscode.commands.executeCommand('multicodex.importAccounts');
        }
        return;
      }
      render(list.accounts, list.active, list.needs_reauth_count);
    } catch (error) {
      quickPick.hide();
      await reportError(error, 'Listing accounts', this.log);
    } finally {
      quickPick.busy = false;
    }
  }

  private async busy(quickPick: vscode.QuickPick<AccountItem>, work: () => Promise<void>): Promise<void> {
    quickPick.busy = true;
    try {
      await work();
    } finally {
      quickPick.busy = false;
    }
  }
}
