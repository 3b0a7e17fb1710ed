// multicodex/usage/notice → one editor notification per notice (a warning at the higher
// thresholds), with a button to the usage chart; each is logged once too.
import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { Notifications, type UsageNotice } from './protocol';
import type { ServerConnection } from './serverConnection';
import { noticeLevel, NoticeOnce, noticeText } from './usageNoticeModel';

const SHOW_USAGE = 'Show Usage';

export function showUsageNotices(connection: ServerConnection, log: vscode.LogOutputChannel): vscode.Disposable {
  const once = new NoticeOnce();
  return connection.onNotification(Notifications.usageNotice, (notice: UsageNotice) => {
    if (!once.admit(notice)) {
      return;
    }
    const text = noticeText(notice);
    log.info(`Usage notice: ${text}`);
    const shown = noticeLevel(notice) === 'warning'
      ? vscode.window.showWarningMessage(text, SHOW_USAGE)
      : vscode.window.showInformationMessage(text, SHOW_USAGE);
    void shown.then((choice) => {
      if (choice === SHOW_USAGE) {
        void vscode.commands.executeCommand(CommandIds.showUsage);
      }
    });
  });
}
