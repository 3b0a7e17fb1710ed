// Test-only: selects the MultiCodex chat models through vscode.lm, streams one answer and
// writes what it saw to the file named by `multicodexProbe.outputFile`. It also changes
// User settings through VS Code's configuration API, as the Settings editor does, from the
// JSON object in the file named by `multicodexProbe.settingsFile`.
import { readFileSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';

interface ProbeRecord {
  vscodeVersion: string;
  models: { id: string; name: string; vendor: string; family: string }[];
  chunks: string[];
  text: string;
  error?: string;
}

const VENDOR = 'multicodex';
const MODEL_WAIT_MS = 60_000;

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('multicodexProbe.run', runProbe),
    vscode.commands.registerCommand('multicodexProbe.applySettings', applySettings),
  );
}

async function applySettings(): Promise<void> {
  const file = vscode.workspace.getConfiguration('multicodexProbe').get<string>('settingsFile', '');
  const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const config = vscode.workspace.getConfiguration();
  for (const [key, value] of Object.entries(settings)) {
    await config.update(key, value, vscode.ConfigurationTarget.Global);
  }
}

async function runProbe(): Promise<void> {
  const config = vscode.workspace.getConfiguration('multicodexProbe');
  const outputFile = config.get<string>('outputFile', '');
  const record: ProbeRecord = { vscodeVersion: vscode.version, models: [], chunks: [], text: '' };
  try {
    const models = await waitForModels();
    record.models = models.map((m) => ({ id: m.id, name: m.name, vendor: m.vendor, family: m.family }));
    const model = models[0];
    if (!model) {
      throw new Error('no MultiCodex model is registered');
    }
    const prompt = config.get<string>('prompt', 'Say hello.');
    const cancel = new vscode.CancellationTokenSource();
    const timer = setTimeout(() => cancel.cancel(), MODEL_WAIT_MS);
    try {
      const response = await model.sendRequest([vscode.LanguageModelChatMessage.User(prompt)], {}, cancel.token);
      for await (const chunk of response.text) {
        record.chunks.push(chunk);
      }
    } finally {
      clearTimeout(timer);
      cancel.dispose();
    }
    record.text = record.chunks.join('');
  } catch (error) {
    record.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  if (outputFile) {
    writeFileSync(outputFile, JSON.stringify(record, null, 2));
  }
}

async function waitForModels(): Promise<vscode.LanguageModelChat[]> {
  const deadline = Date.now() + MODEL_WAIT_MS;
  for (;;) {
    const models = await vscode.lm.selectChatModels({ vendor: VENDOR });
    if (models.length > 0 || Date.now() > deadline) {
      return models;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export function deactivate(): void {}
