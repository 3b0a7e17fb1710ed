// Small helpers shared by the commands: error reporting with follow-up actions.
import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { describeError, followUpLabel, type FollowUp } from './errorModel';
import { USE_POOL, type PoolQuestion } from './workspaceAccountModel';

/** Asks whether the pool may serve a request this workspace's account cannot (modal: the
 * request waits for the answer; VS Code adds the Cancel button). */
export function askToUsePool(question: PoolQuestion): Thenable<string | undefined> {
  return vscode.window.showWarningMessage(question.message, { modal: true }, USE_POOL);
}

export async function reportError(error: unknown, action: string, log: vscode.LogOutputChannel): Promise<void> {
  const report = describeError(error, action);
  if (report.silent) {
    log.info(report.message);
    return;
  }
  log.error(report.message);
  const labels = report.followUps.map(followUpLabel);
  const choice = await vscode.window.showErrorMessage(report.message, ...labels);
  const followUp = report.followUps[labels.indexOf(choice ?? '')];
  if (followUp) {
    await runFollowUp(followUp);
  }
}

async function runFollowUp(followUp: FollowUp): Promise<void> {
  switch (followUp.kind) {
    case 'reauth':
      await vscode.commands.executeCommand(CommandIds.reauth, followUp.account.key);
      return;
    case 'addAccount':
      await vscode.commands.executeCommand(CommandIds.addAccount);
      return;
    case 'startEmptyStore':
      await vscode.commands.executeCommand(CommandIds.startEmptyStore, followUp.movedTo);
      return;
    case 'showLogs':
      await vscode.commands.executeCommand(CommandIds.showLogs);
      return;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
