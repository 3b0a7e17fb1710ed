// Start with an empty store after the server found the store corrupt: asks first (modal),
// then sends multicodex/store/recover; the server keeps the moved file.
import * as vscode from 'vscode';
import { Methods } from './protocol';
import type { ServerConnection } from './serverConnection';
import { recoveryOutcome, startEmptyPrompt } from './storeRecoveryModel';
import { reportError } from './ui';

/** True when the store was recovered (or there was nothing to recover). */
export async function startEmptyStore(
  connection: ServerConnection,
  log: vscode.LogOutputChannel,
  movedTo?: string,
): Promise<boolean> {
  const prompt = startEmptyPrompt(movedTo);
  const choice = await vscode.window.showWarningMessage(
    prompt.message,
    { modal: true, detail: prompt.detail },
    prompt.confirm,
  );
  if (choice !== prompt.confirm) {
    return false;
  }
  try {
    const result = await connection.request(Methods.storeRecover, { action: 'start_empty' });
    log.info(result.message);
    void vscode.window.showInformationMessage(recoveryOutcome(result));
    return true;
  } catch (error) {
    await reportError(error, 'Starting with an empty store', log);
    return false;
  }
}
