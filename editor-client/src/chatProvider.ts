// Offers the Codex models to VS Code's language-model API (VS Code 1.104+) through
// MultiCodex: requests go to the server's multicodex/complete, text deltas are reported as
// they arrive. On older VS Code the API is absent and nothing is registered.
import * as vscode from 'vscode';
import { estimateTokens, messageText, toCompletionInput, type ChatMessageLike } from './chatMessages';
import { Methods, type ModelSummary } from './protocol';
import type { ServerConnection } from './serverConnection';
import { currentSettings } from './settings';
import type { StreamRouter } from './streams';
import { askToUsePool } from './ui';
import { completeAskingForPool } from './workspaceAccountModel';

export const VENDOR = 'multicodex';

const DEFAULT_CONTEXT_WINDOW = 272_000;
const MAX_OUTPUT_TOKENS = 128_000;

/** The parts of the 1.104 API used here (the typings this extension builds against predate it). */
interface ChatInformation {
  readonly id: string;
  readonly name: string;
  readonly family: string;
  readonly version: string;
  readonly tooltip?: string;
  readonly detail?: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly capabilities: { readonly imageInput?: boolean; readonly toolCalling?: boolean | number };
}

interface ChatProvider {
  readonly onDidChangeLanguageModelChatInformation?: vscode.Event<void>;
  provideLanguageModelChatInformation(options: { readonly silent: boolean }, token: vscode.CancellationToken): Promise<ChatInformation[]>;
  provideLanguageModelChatResponse(
    model: ChatInformation,
    messages: readonly ChatMessageLike[],
    options: unknown,
    progress: vscode.Progress<unknown>,
    token: vscode.CancellationToken,
  ): Promise<void>;
  provideTokenCount(model: ChatInformation, text: string | ChatMessageLike, token: vscode.CancellationToken): Promise<number>;
}

interface LmApi {
  registerLanguageModelChatProvider?: (vendor: string, provider: ChatProvider) => vscode.Disposable;
}

type TextPartConstructor = new (value: string) => unknown;

export function registerChatModels(
  connection: ServerConnection,
  streams: StreamRouter,
  log: vscode.LogOutputChannel,
): vscode.Disposable | undefined {
  const lm = (vscode as unknown as { lm?: LmApi }).lm;
  const TextPart = (vscode as unknown as { LanguageModelTextPart?: TextPartConstructor }).LanguageModelTextPart;
  if (typeof lm?.registerLanguageModelChatProvider !== 'function' || !TextPart) {
    log.info('This VS Code has no language-model provider API; the Codex chat models are not offered.');
    return undefined;
  }
  const changed = new vscode.EventEmitter<void>();
  const stateListener = connection.onDidChangeState((state) => {
    if (state.kind === 'running') {
      changed.fire();
    }
  });
  const provider: ChatProvider = {
    onDidChangeLanguageModelChatInformation: changed.event,
    async provideLanguageModelChatInformation() {
      try {
        const list = await connection.request(Methods.modelsList, {});
        return list.models.map(toInformation);
      } catch (error) {
        log.warn(`Listing models failed: ${error instanceof Error ? error.message : String(error)}`);
        return [];
      }
    },
    async provideLanguageModelChatResponse(model, messages, _options, progress, token) {
      const { instructions, input } = toCompletionInput(messages);
      if (input.length === 0) {
        throw new Error('MultiCodex: the request has no text to send.');
      }
      const streamId = streams.newStreamId('lm');
      const close = streams.open(streamId, (delta) => {
        if (delta.kind === 'text' && delta.text) {
          progress.report(new TextPart(delta.text));
        } else if (delta.kind !== 'reasoning') {
          log.info(`Chat (${model.id}): ${delta.text}`);
        }
      });
      try {
        await completeAskingForPool(
          { stream_id: streamId, model: model.id, input, instructions },
          currentSettings().forServer.workspace_account,
          (params) => connection.request(Methods.complete, params, token),
          askToUsePool,
          (id) => streams.restart(id),
        );
      } finally {
        close();
      }
    },
    async provideTokenCount(_model, text) {
      return estimateTokens(typeof text === 'string' ? text : messageText(text.content));
    },
  };
  const registration = lm.registerLanguageModelChatProvider(VENDOR, provider);
  log.info('Registered the Codex chat models with VS Code.');
  return vscode.Disposable.from(registration, stateListener, changed);
}

function toInformation(model: ModelSummary): ChatInformation {
  const info: ChatInformation = {
    id: model.slug,
    name: model.display_name,
    family: model.slug,
    version: '1',
    detail: 'MultiCodex',
    maxInputTokens: model.context_window ?? DEFAULT_CONTEXT_WINDOW,
    maxOutputTokens: MAX_OUTPUT_TOKENS,
    capabilities: { imageInput: false, toolCalling: false },
  };
  return model.description ? { ...info, tooltip: model.description } : info;
}
