// Wires the MultiCodex extension: the server connection, the footer, the picker, the
// commands and (where VS Code offers the API) the Codex chat models.
import * as vscode from 'vscode';
import { AccountActions } from './accountActions';
import { askCommand } from './ask';
import { registerChatModels } from './chatProvider';
import { CommandIds } from './commandIds';
import { LoginFlow } from './login';
import { footerSettingsPanel, importPanel, pathsPanel, resetPanel, rotationPanel, verifyPanel } from './panels';
import { AccountPicker } from './picker';
import { Methods, Notifications, ResetTargetValues, type AccountInfo, type AccountRef, type ResetTarget } from './protocol';
import { ServerConnection } from './serverConnection';
import { currentSettings, SECTION } from './settings';
import { readFooterPatch, readRotationPatch, RESTART_SETTINGS } from './settingsModel';
import { StatusBar } from './statusBar';
import { startEmptyStore } from './storeRecovery';
import { StreamRouter } from './streams';
import { UsageChart } from './usageChart';
import { showUsageNotices } from './usageNotices';

let connection: ServerConnection | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('MultiCodex', { log: true });
  const server = new ServerConnection(log, currentSettings);
  connection = server;
  const streams = new StreamRouter();
  const statusBar = new StatusBar(server, log);
  const login = new LoginFlow(server, log);
  const actions = new AccountActions(server, login, log);
  const picker = new AccountPicker(actions, statusBar, log);
  const usageChart = new UsageChart(context.extensionUri, server, () => statusBar.latest, statusBar.onDidChangeStatus, log);
  context.subscriptions.push(
    log,
    statusBar,
    usageChart,
    showUsageNotices(server, log),
    login,
    server.onNotification(Notifications.completionDelta, (delta) => {
      streams.dispatch(delta);
    }),
    vscode.workspace.onDidChangeConfiguration((event) => onSettingsChanged(event, server, statusBar, log)),
  );
  statusBar.setVisible(currentSettings().footerVisible);
  statusBar.setShowPool(currentSettings().footerShowPool);

  const withAccount = async (
    arg: unknown,
    placeHolder: string,
    run: (account: AccountInfo | AccountRef) => Promise<unknown>,
    filter?: (a: AccountInfo) => boolean,
  ): Promise<void> => {
    const account = await accountFromArgument(arg, actions) ?? (await actions.choose(placeHolder, filter));
    if (account) {
      await run(account);
    }
  };
  const register = (id: string, handler: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  };
  register(CommandIds.accounts, () => picker.show());
  register(CommandIds.addAccount, () => actions.add());
  register(CommandIds.importAccounts, () => importPanel(server, log));
  register(CommandIds.refresh, (arg) => withAccount(arg, 'Refresh which account?', (a) => actions.refresh(a)));
  register(CommandIds.refreshAll, () => actions.refresh());
  register(CommandIds.reauth, (arg) => withAccount(arg, 'Re-authenticate which account?', (a) => actions.reauth(a)));
  register(CommandIds.remove, (arg) =>
    withAccount(arg, 'Remove which account?', (a) => actions.remove(a, 'is_active' in a && a.is_active)));
  register(CommandIds.rename, (arg) => withAccount(arg, 'Name which account?', (a) => actions.rename(a)));
  register(CommandIds.reset, (arg) => resetPanel(actions, isResetTarget(arg) ? arg : undefined));
  register(CommandIds.footerSettings, () => footerSettingsPanel(server, statusBar, log));
  register(CommandIds.rotation, () => rotationPanel(server, log));
  register(CommandIds.verify, () => verifyPanel(server, log));
  register(CommandIds.paths, () => pathsPanel(server, log));
  register(CommandIds.ask, (arg) =>
    askCommand(server, streams, log, currentSettings().askModel, typeof arg === 'string' ? arg : undefined));
  register(CommandIds.showLogs, () => log.show());
  register(CommandIds.showUsage, () => usageChart.show());
  register(CommandIds.restartServer, () => server.restart());
  register(CommandIds.startEmptyStore, (arg) =>
    startEmptyStore(server, log, typeof arg === 'string' ? arg : undefined));

  const chat = registerChatModels(server, streams, statusBar, log);
  if (chat) {
    context.subscriptions.push(chat);
  }
  await server.start();
}

export async function deactivate(): Promise<void> {
  await connection?.dispose();
  connection = undefined;
}

async function accountFromArgument(arg: unknown, actions: AccountActions): Promise<AccountInfo | undefined> {
  const key = typeof arg === 'string' ? arg : (arg as { key?: unknown } | undefined)?.key;
  if (typeof key !== 'string') {
    return undefined;
  }
  const list = await actions.list();
  return list.accounts.find((account) => account.key === key);
}

function isResetTarget(value: unknown): value is ResetTarget {
  return ResetTargetValues.includes(value as ResetTarget);
}

async function onSettingsChanged(
  event: vscode.ConfigurationChangeEvent,
  server: ServerConnection,
  statusBar: StatusBar,
  log: vscode.LogOutputChannel,
): Promise<void> {
  if (!event.affectsConfiguration(SECTION)) {
    return;
  }
  const settings = currentSettings();
  statusBar.setVisible(settings.footerVisible);
  statusBar.setShowPool(settings.footerShowPool);
  if (RESTART_SETTINGS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`))) {
    log.info('Server settings changed; restarting the server.');
    await server.restart();
    return;
  }
  if (!server.isRunning) {
    return;
  }
  const config = vscode.workspace.getConfiguration(SECTION);
  const explicit = (key: string): unknown => {
    const inspected = config.inspect(key);
    return inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
  };
  try {
    const footer = readFooterPatch(explicit);
    if (event.affectsConfiguration(`${SECTION}.footer`) && Object.keys(footer).length > 0) {
      await server.request(Methods.footerSet, { ...footer, persist: false });
    }
    const rotation = readRotationPatch(explicit);
    if (event.affectsConfiguration(`${SECTION}.rotation`) && Object.keys(rotation).length > 0) {
      await server.request(Methods.rotationSet, { ...rotation, persist: false });
    }
  } catch (error) {
    log.warn(`Sending the changed settings to the server failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
