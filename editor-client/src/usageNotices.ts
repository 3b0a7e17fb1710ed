// multicodex/usage/notice → one editor notification per notice (a warning at the highest
// threshold in force, read with usage/notices/get), with a button to the usage chart;
// each is logged once too.
import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { Methods, Notifications, type UsageNotice } from './protocol';
import type { ServerConnection } from './serverConnection';
import { noticeLevel, NoticeOnce, noticeText } from './usageNoticeModel';

const SHOW_USAGE = 'Show Usage';

export function showUsageNotices(connection: ServerConnection, log: vscode.LogOutputChannel): vscode.Disposable {
  const once = new NoticeOnce();
  return connection.onNotification(Notifications.usageNotice, (notice: UsageNotice) => {
    if (!once.admit(notice)) {
      return;
    }
    void show(notice, connection, log);
  });
}

async function show(notice: UsageNotice, connection: ServerConnection, log: vscode.LogOutputChannel): Promise<void> {
  const thresholds = await connection.request(Methods.usageNoticesGet, {}).then(
    (info) => info.thresholds,
    () => undefined,
  );
  const text = noticeText(notice);
  log.info(`Usage notice: ${text}`);
  const shown = noticeLevel(notice, thresholds) === 'warning'
    ? vscode.window.showWarningMessage(text, SHOW_USAGE)
    : vscode.window.showInformationMessage(text, SHOW_USAGE);
  if ((await shown) === SHOW_USAGE) {
    await vscode.commands.executeCommand(CommandIds.showUsage);
  }
}
