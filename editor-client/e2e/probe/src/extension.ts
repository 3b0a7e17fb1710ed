// Test-only: selects the MultiCodex chat models through vscode.lm, streams one answer and
// writes what it saw to the file named by `multicodexProbe.outputFile`. Run the Agent Turns
// asks with a tool, records the tool call, waits for `multicodexProbe.continueFile` (the
// test changes the emulator meanwhile), answers with the tool's result, then sends an image;
// its record goes to `multicodexProbe.agentFile`. It also changes
// User settings through VS Code's configuration API, as the Settings editor does, from the
// JSON object in the file named by `multicodexProbe.settingsFile`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
    vscode.commands.registerCommand('multicodexProbe.runAgent', runAgent),
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

// ---------------------------------------------------------------- agent turns

/** The parts of the 1.104+ API the agent turns use (the probe builds against older typings). */
interface AgentApi {
  LanguageModelTextPart: new (value: string) => unknown;
  LanguageModelToolCallPart: new (callId: string, name: string, input: object) => { callId: string; name: string; input: object };
  LanguageModelToolResultPart: new (callId: string, content: unknown[]) => unknown;
  LanguageModelDataPart: { image(data: Uint8Array, mimeType: string): unknown };
  LanguageModelChatMessage: { User(content: unknown): vscode.LanguageModelChatMessage; Assistant(content: unknown): vscode.LanguageModelChatMessage };
  LanguageModelChatToolMode: { Auto: number };
}

interface AgentRecord {
  phase: 'called' | 'done';
  model: string;
  maxInputTokens: number;
  calls: { callId: string; name: string; input: object }[];
  firstText: string;
  finalText: string;
  imageText: string;
  error?: string;
  imageError?: string;
}

const TOOL = {
  name: 'get_weather',
  description: 'The weather in a city now',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
};
const TOOL_RESULT = '-3 C, snow';
/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

async function runAgent(): Promise<void> {
  const config = vscode.workspace.getConfiguration('multicodexProbe');
  const agentFile = config.get<string>('agentFile', '');
  const continueFile = config.get<string>('continueFile', '');
  const api = vscode as unknown as AgentApi;
  const record: AgentRecord = { phase: 'called', model: '', maxInputTokens: 0, calls: [], firstText: '', finalText: '', imageText: '' };
  const save = (): void => writeFileSync(agentFile, JSON.stringify(record, null, 2));
  try {
    const [model] = await waitForModels();
    if (!model) {
      throw new Error('no MultiCodex model is registered');
    }
    record.model = model.id;
    record.maxInputTokens = model.maxInputTokens;
    const ask = api.LanguageModelChatMessage.User('What is the weather in Oslo? CALL_TOOL:get_weather');
    const options = { tools: [TOOL], toolMode: api.LanguageModelChatToolMode.Auto };
    const first = await streamParts(model, [ask], options, api);
    record.calls = first.calls.map((c) => ({ callId: c.callId, name: c.name, input: c.input }));
    record.firstText = first.text;
    save();
    await waitForFile(continueFile);
    const results = first.calls.map((c) => new api.LanguageModelToolResultPart(c.callId, [new api.LanguageModelTextPart(TOOL_RESULT)]));
    const history = [ask, api.LanguageModelChatMessage.Assistant(first.calls), api.LanguageModelChatMessage.User(results)];
    record.finalText = (await streamParts(model, history, options, api)).text;
  } catch (error) {
    record.error = describe(error);
  }
  try {
    const [model] = await vscode.lm.selectChatModels({ vendor: VENDOR });
    const picture = api.LanguageModelChatMessage.User([
      new api.LanguageModelTextPart('What is in this picture?'),
      api.LanguageModelDataPart.image(new Uint8Array(PNG), 'image/png'),
    ]);
    record.imageText = model ? (await streamParts(model, [picture], {}, api)).text : '';
  } catch (error) {
    record.imageError = describe(error);
  }
  record.phase = 'done';
  save();
}

async function streamParts(
  model: vscode.LanguageModelChat,
  messages: vscode.LanguageModelChatMessage[],
  options: object,
  api: AgentApi,
): Promise<{ text: string; calls: InstanceType<AgentApi['LanguageModelToolCallPart']>[] }> {
  const cancel = new vscode.CancellationTokenSource();
  const timer = setTimeout(() => cancel.cancel(), MODEL_WAIT_MS);
  try {
    const response = await model.sendRequest(messages, options as vscode.LanguageModelChatRequestOptions, cancel.token);
    const stream = (response as unknown as { stream: AsyncIterable<unknown> }).stream;
    let text = '';
    const calls: InstanceType<AgentApi['LanguageModelToolCallPart']>[] = [];
    for await (const part of stream) {
      if (part instanceof api.LanguageModelToolCallPart) {
        calls.push(part);
      } else if (part instanceof api.LanguageModelTextPart) {
        text += (part as { value: string }).value;
      }
    }
    return { text, calls };
  } finally {
    clearTimeout(timer);
    cancel.dispose();
  }
}

async function waitForFile(file: string): Promise<void> {
  const deadline = Date.now() + MODEL_WAIT_MS;
  while (!existsSync(file)) {
    if (Date.now() > deadline) {
      throw new Error(`${file} did not appear`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function deactivate(): void {}
