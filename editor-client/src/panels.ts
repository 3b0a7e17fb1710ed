// Read-mostly panels: Footer Settings (live preview), Rotation Policy, Verify, Paths, Reset,
// Import.
import * as vscode from 'vscode';
import { asPatch, footerOptions, settingKeyFor, toggled, valueText, type FooterField } from './footerSettingsModel';
import {
  Methods,
  ResetTargetValues,
  type CheckStatus,
  type FooterInfo,
  type FooterSettings,
  type ResetTarget,
  type RotationInfo,
  type RotationPatch,
} from './protocol';
import { choicesFor, editKind, fieldLabel, parseNumber, patchFor, rotationRows, type RotationField } from './rotationPanelModel';
import type { ServerConnection } from './serverConnection';
import { writeGlobalSetting } from './settings';
import type { StatusBar } from './statusBar';
import type { AccountActions } from './accountActions';
import { reportError } from './ui';

const CHECK_ICONS: Record<CheckStatus, string> = { pass: '$(pass)', warn: '$(warning)', fail: '$(error)' };

const RESET_DESCRIPTIONS: Record<ResetTarget, string> = {
  manual: 'clear the manual account pin',
  quota: 'clear every quota cooldown',
  all: 'clear the pin and every cooldown',
};

interface FooterItem extends vscode.QuickPickItem {
  readonly field: FooterField;
}

export async function footerSettingsPanel(
  connection: ServerConnection,
  statusBar: StatusBar,
  log: vscode.LogOutputChannel,
): Promise<void> {
  let info: FooterInfo;
  try {
    info = await connection.request(Methods.footerGet, {});
  } catch (error) {
    await reportError(error, 'Reading the footer settings', log);
    return;
  }
  let draft: FooterSettings = info.settings;
  const options = footerOptions(info.choices);
  const quickPick = vscode.window.createQuickPick<FooterItem>();
  quickPick.placeholder = 'Enter changes the selected setting (saved at once)';
  const render = (preview: string): void => {
    const focused = quickPick.activeItems[0]?.field;
    quickPick.title = `Footer preview: ${preview}`;
    quickPick.items = options.map((option) => ({
      field: option.field,
      label: option.label,
      description: valueText(draft[option.field]),
      detail: `${option.description} (${option.values.map(valueText).join(' / ')})`,
    }));
    const again = quickPick.items.find((item) => item.field === focused);
    if (again) {
      quickPick.activeItems = [again];
    }
  };
  const preview = async (): Promise<void> => {
    const result = await connection.request(Methods.footerPreview, asPatch(draft));
    render(result.line.text);
    statusBar.showPreview(result.line, result.settings);
  };
  quickPick.onDidAccept(async () => {
    const item = quickPick.activeItems[0];
    const option = options.find((o) => o.field === item?.field);
    if (!item || !option) {
      return;
    }
    draft = toggled(draft, option);
    quickPick.busy = true;
    try {
      await preview();
      await writeGlobalSetting(settingKeyFor(item.field), draft[item.field]);
      await connection.request(Methods.footerSet, { ...asPatch(draft), persist: true });
    } catch (error) {
      await reportError(error, 'Saving the footer settings', log);
    } finally {
      quickPick.busy = false;
    }
  });
  quickPick.onDidHide(() => {
    statusBar.showPreview(undefined);
    quickPick.dispose();
  });
  render('…');
  quickPick.show();
  try {
    await preview();
  } catch (error) {
    await reportError(error, 'Previewing the footer', log);
  }
}

interface RotationItem extends vscode.QuickPickItem {
  readonly field?: RotationField;
}

/** Shows every rotation setting with its value; Enter edits one (saved to the store, so the
 * CLI and other windows follow) and the panel comes back with the server's answer. */
export async function rotationPanel(connection: ServerConnection, log: vscode.LogOutputChannel): Promise<void> {
  let info: RotationInfo;
  try {
    info = await connection.request(Methods.rotationGet, {});
  } catch (error) {
    await reportError(error, 'Rotation policy', log);
    return;
  }
  for (;;) {
    const picked = await vscode.window.showQuickPick(rotationItems(info), {
      title: 'MultiCodex rotation policy (saved for every window and the CLI)',
      placeHolder: 'Enter changes the selected setting',
      ignoreFocusOut: true,
    });
    if (!picked?.field) {
      return;
    }
    const patch = await editRotationField(picked.field, info);
    if (!patch) {
      continue;
    }
    try {
      info = await connection.request(Methods.rotationSet, { ...patch, persist: true });
      log.info(`Rotation policy: ${fieldLabel(picked.field)} is now ${String(info.policy[picked.field])}.`);
    } catch (error) {
      await reportError(error, 'Changing the rotation policy', log);
    }
  }
}

function rotationItems(info: RotationInfo): RotationItem[] {
  return [
    ...rotationRows(info).map((row) => ({ label: row.label, description: row.value, detail: row.detail, field: row.field })),
    { label: 'Current behaviour', kind: vscode.QuickPickItemKind.Separator },
    ...info.description.map((line) => ({ label: '$(info)', description: line })),
  ];
}

/** Asks for the field's new value; undefined when the user backs out. */
async function editRotationField(field: RotationField, info: RotationInfo): Promise<RotationPatch | undefined> {
  const title = `MultiCodex rotation: ${fieldLabel(field)}`;
  switch (editKind(field)) {
    case 'strategy': {
      const picked = await vscode.window.showQuickPick(
        info.strategies.map((s) => ({
          label: `${s.name === info.policy.strategy ? '$(check)' : '$(circle-large-outline)'} ${s.name}`,
          description: s.description,
          name: s.name,
        })),
        { title },
      );
      return picked ? patchFor(field, picked.name) : undefined;
    }
    case 'choice': {
      const picked = await vscode.window.showQuickPick(
        choicesFor(field).map((choice) => ({
          label: `${choice.value === info.policy[field] ? '$(check)' : '$(circle-large-outline)'} ${choice.value}`,
          description: choice.description,
          value: choice.value,
        })),
        { title },
      );
      return picked ? patchFor(field, picked.value) : undefined;
    }
    case 'boolean':
      return patchFor(field, !info.policy[field]);
    case 'count':
    case 'seconds': {
      const text = await vscode.window.showInputBox({
        title,
        value: String(info.policy[field]),
        validateInput: (value) => {
          const parsed = parseNumber(field, value);
          return 'error' in parsed ? parsed.error : undefined;
        },
      });
      if (text === undefined) {
        return undefined;
      }
      const parsed = parseNumber(field, text);
      return 'value' in parsed ? patchFor(field, parsed.value) : undefined;
    }
  }
}

export async function verifyPanel(connection: ServerConnection, log: vscode.LogOutputChannel): Promise<void> {
  try {
    const result = await connection.request(Methods.verify, {});
    log.info(result.summary_line);
    await vscode.window.showQuickPick(
      result.checks.map((check) => ({
        label: `${CHECK_ICONS[check.status]} ${check.label}`,
        description: check.detail,
      })),
      { title: `MultiCodex verify: ${result.status.toUpperCase()}`, placeHolder: result.summary_line },
    );
  } catch (error) {
    await reportError(error, 'Verify', log);
  }
}

export async function pathsPanel(connection: ServerConnection, log: vscode.LogOutputChannel): Promise<void> {
  try {
    const paths = await connection.request(Methods.paths, {});
    const rows: (vscode.QuickPickItem & { path?: string })[] = [
      { label: 'Store directory', description: paths.home, path: paths.home },
      { label: 'Account store', description: paths.store_file, path: paths.store_file },
      { label: 'Lock file', description: paths.lock_file },
      { label: 'Store schema', description: paths.schema_file, path: paths.schema_file },
      { label: 'Quarantine', description: paths.quarantine_file },
      ...paths.import_sources.map((s) => ({
        label: `Import source: ${s.kind}`,
        description: `${s.path}${s.exists ? '' : ' (not found)'}`,
      })),
      { label: 'Authorization server', description: paths.auth_url },
      { label: 'Codex backend', description: paths.backend_url },
    ];
    const picked = await vscode.window.showQuickPick(rows, { title: 'MultiCodex paths', placeHolder: 'Enter copies the path' });
    if (picked?.description) {
      await vscode.env.clipboard.writeText(picked.description);
    }
  } catch (error) {
    await reportError(error, 'Paths', log);
  }
}

export async function resetPanel(actions: AccountActions, target?: ResetTarget): Promise<void> {
  const choice = target ?? (await vscode.window.showQuickPick(
    ResetTargetValues.map((value) => ({ label: value, description: RESET_DESCRIPTIONS[value], target: value })),
    { title: 'MultiCodex: reset' },
  ))?.target;
  if (!choice) {
    return;
  }
  if (choice === 'all') {
    const confirm = await vscode.window.showWarningMessage(
      'Reset MultiCodex state?',
      { modal: true, detail: 'Clears the manual account pin and every quota cooldown.' },
      'Reset',
    );
    if (confirm !== 'Reset') {
      return;
    }
  }
  await actions.reset(choice);
}

export async function importPanel(connection: ServerConnection, log: vscode.LogOutputChannel): Promise<void> {
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'MultiCodex: importing accounts' },
      () => connection.request(Methods.accountsImport, { link: true }),
    );
    const found = result.sources.filter((s) => s.found);
    const errors = result.sources.filter((s) => s.error).map((s) => `${s.kind}: ${s.error}`);
    const kept = found.flatMap((s) => s.kept ?? []).map((a) => a.display_name);
    const keptNote = kept.length ? `; kept the newer tokens MultiCodex already has for ${kept.join(', ')}` : '';
    const summary = found.length === 0
      ? 'no Codex CLI, pi or pi-multicodex credentials were found'
      : `${result.added_count} added, ${result.updated_count} updated from ${found.map((s) => s.kind).join(', ')}${keptNote}`;
    const message = `MultiCodex import: ${summary}${errors.length ? ` (${errors.join('; ')})` : ''}`;
    if (errors.length) {
      void vscode.window.showWarningMessage(message);
    } else {
      void vscode.window.showInformationMessage(message);
    }
  } catch (error) {
    await reportError(error, 'Import', log);
  }
}
