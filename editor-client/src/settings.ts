// Reads the `multicodex.*` configuration from VS Code (explicitly-set values only).
import * as vscode from 'vscode';
import { readExtensionSettings, type ExtensionSettings } from './settingsModel';

export type { ExtensionSettings } from './settingsModel';

export const SECTION = 'multicodex';

export function currentSettings(): ExtensionSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return readExtensionSettings(
    (key) => explicitValue(config, key),
    (key) => config.inspect(key)?.globalValue,
  );
}

function explicitValue(config: vscode.WorkspaceConfiguration, key: string): unknown {
  const inspected = config.inspect(key);
  if (!inspected) {
    return undefined;
  }
  return inspected.workspaceFolderValue ?? inspected.workspaceValue ?? inspected.globalValue;
}

export async function writeGlobalSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
}
