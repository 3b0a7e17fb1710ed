// Offers the pool's Codex models to VS Code's language-model API (VS Code 1.104+): each
// model is the whole pool, with tools and (where the catalog says so) images. Requests go
// to the server's multicodex/complete with a conversation key, so a conversation keeps
// its account and prompt cache; text and tool calls stream back as parts. On older VS Code
// the API is absent and nothing is registered.
import * as vscode from 'vscode';
import { chatFailure } from './chatErrors';
import { estimateTokens, messageText, toCompletionInput, type ChatMessageLike } from './chatMessages';
import { chatInformation, statusSignature, type ChatInformation } from './chatModels';
import { toolCallOfDelta, toolParams, unreportedToolCalls, type ChatRequestOptionsLike, type ToolCallReport } from './chatTools';
import { conversationKey } from './conversationKey';
import { Methods, type CompleteParams, type CompletionDelta, type Status } from './protocol';
import type { ServerConnection } from './serverConnection';
import { currentSettings } from './settings';
import type { StreamRouter } from './streams';
import { askToUsePool } from './ui';
import { completeAskingForPool } from './workspaceAccountModel';

export const VENDOR = 'multicodex';

/** How long status pushes settle before the model list is announced as changed. */
const CHANGE_SETTLE_MS = 750;
/** Conversations whose account is remembered, to log a move to another account. */
const REMEMBERED_CONVERSATIONS = 200;

interface ResponseOptions extends ChatRequestOptionsLike {
  readonly modelOptions?: Readonly<Record<string, unknown>>;
}

interface ChatProvider {
  readonly onDidChangeLanguageModelChatInformation?: vscode.Event<void>;
  provideLanguageModelChatInformation(options: { readonly silent: boolean }, token: vscode.CancellationToken): Promise<ChatInformation[]>;
  provideLanguageModelChatResponse(
    model: ChatInformation,
    messages: readonly ChatMessageLike[],
    options: ResponseOptions,
    progress: vscode.Progress<unknown>,
    token: vscode.CancellationToken,
  ): Promise<void>;
  provideTokenCount(model: ChatInformation, text: string | ChatMessageLike, token: vscode.CancellationToken): Promise<number>;
}

interface LmApi {
  registerLanguageModelChatProvider?: (vendor: string, provider: ChatProvider) => vscode.Disposable;
}

/** The parts and errors of the 1.104+ API (the typings this extension builds against predate them). */
interface LmParts {
  readonly TextPart: new (value: string) => unknown;
  readonly ToolCallPart: new (callId: string, name: string, input: object) => unknown;
  readonly LmError: new (message: string) => Error;
}

/** Where the latest pool status comes from (the footer keeps it). */
export interface StatusSource {
  readonly latest: Status | undefined;
  readonly onDidChangeStatus: vscode.Event<Status>;
}

export function registerChatModels(
  connection: ServerConnection,
  streams: StreamRouter,
  statuses: StatusSource,
  log: vscode.LogOutputChannel,
): vscode.Disposable | undefined {
  const lm = (vscode as unknown as { lm?: LmApi }).lm;
  const parts = lmParts();
  if (typeof lm?.registerLanguageModelChatProvider !== 'function' || !parts) {
    log.info('This VS Code has no language-model provider API; the Codex chat models are not offered.');
    return undefined;
  }
  const changes = new ModelListChanges(connection, statuses);
  const owners = new ConversationOwners();
  const provider: ChatProvider = {
    onDidChangeLanguageModelChatInformation: changes.event,
    async provideLanguageModelChatInformation() {
      try {
        const list = await connection.request(Methods.modelsList, {});
        return chatInformation(list.models, statuses.latest, Date.now() / 1000);
      } catch (error) {
        log.warn(`Listing models failed: ${error instanceof Error ? error.message : String(error)}`);
        return [];
      }
    },
    async provideLanguageModelChatResponse(model, messages, options, progress, token) {
      const request = new ChatRequest(connection, streams, parts, log, owners);
      await request.run(model, messages, options, progress, token);
    },
    async provideTokenCount(_model, text) {
      return estimateTokens(typeof text === 'string' ? text : messageText(text.content));
    },
  };
  const registration = lm.registerLanguageModelChatProvider(VENDOR, provider);
  log.info('Registered the Codex chat models with VS Code.');
  return vscode.Disposable.from(registration, changes);
}

function lmParts(): LmParts | undefined {
  const api = vscode as unknown as {
    LanguageModelTextPart?: LmParts['TextPart'];
    LanguageModelToolCallPart?: LmParts['ToolCallPart'];
    LanguageModelError?: LmParts['LmError'];
  };
  if (!api.LanguageModelTextPart || !api.LanguageModelToolCallPart) {
    return undefined;
  }
  return { TextPart: api.LanguageModelTextPart, ToolCallPart: api.LanguageModelToolCallPart, LmError: api.LanguageModelError ?? Error };
}

/** One chat request: converts, sends, streams the answer back, maps failures. */
class ChatRequest {
  private readonly reported = new Set<string>();
  private streamError: unknown;

  constructor(
    private readonly connection: ServerConnection,
    private readonly streams: StreamRouter,
    private readonly parts: LmParts,
    private readonly log: vscode.LogOutputChannel,
    private readonly owners: ConversationOwners,
  ) {}

  async run(
    model: ChatInformation,
    messages: readonly ChatMessageLike[],
    options: ResponseOptions,
    progress: vscode.Progress<unknown>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const params = this.params(model, messages, options);
    const close = this.streams.open(params.stream_id, (delta) => this.onDelta(model, delta, progress));
    try {
      const settings = currentSettings();
      const result = await completeAskingForPool(
        params,
        settings.forServer.workspace_account,
        (p) => this.connection.request(Methods.complete, p, token),
        askToUsePool,
        (id) => this.streams.restart(id),
      );
      this.rethrowStreamError();
      unreportedToolCalls(result, this.reported).forEach((call) => this.reportCall(call, progress));
      this.owners.served(params.conversation_id, result.account, model.id, this.log);
    } catch (error) {
      throw this.chatError(error);
    } finally {
      close();
    }
  }

  private params(model: ChatInformation, messages: readonly ChatMessageLike[], options: ResponseOptions): CompleteParams {
    let converted;
    try {
      converted = toCompletionInput(messages);
    } catch (error) {
      throw new this.parts.LmError(error instanceof Error ? error.message : String(error));
    }
    if (converted.input.length === 0) {
      throw new this.parts.LmError('MultiCodex: the request has nothing to send.');
    }
    if (model.capabilities.imageInput !== true && hasImage(converted.input)) {
      throw new this.parts.LmError(`MultiCodex: ${model.name} does not accept images; choose a model that does, or leave the image out.`);
    }
    const wait = currentSettings().chatWaitForResetSeconds;
    return {
      stream_id: this.streams.newStreamId('lm'),
      model: model.id,
      input: converted.input,
      instructions: converted.instructions,
      conversation_id: conversationKey(messages, options.modelOptions) ?? null,
      ...(wait > 0 ? { wait_for_reset_seconds: wait } : {}),
      ...toolParams(options),
    };
  }

  private onDelta(model: ChatInformation, delta: CompletionDelta, progress: vscode.Progress<unknown>): void {
    if (delta.kind === 'text') {
      if (delta.text) {
        progress.report(new this.parts.TextPart(delta.text));
      }
      return;
    }
    if (delta.kind === 'tool_call') {
      try {
        const call = toolCallOfDelta(delta);
        if (call) {
          this.reportCall(call, progress);
        }
      } catch (error) {
        this.streamError ??= error;
      }
      return;
    }
    if (delta.kind !== 'reasoning') {
      this.log.info(`Chat (${model.id}): ${delta.text}`);
    }
  }

  private reportCall(call: ToolCallReport, progress: vscode.Progress<unknown>): void {
    if (this.reported.has(call.callId)) {
      return;
    }
    this.reported.add(call.callId);
    progress.report(new this.parts.ToolCallPart(call.callId, call.name, call.input));
  }

  private rethrowStreamError(): void {
    if (this.streamError !== undefined) {
      throw this.streamError;
    }
  }

  private chatError(error: unknown): Error {
    const failure = chatFailure(error, { now: Date.now() / 1000 });
    if (failure.kind === 'cancelled') {
      return new vscode.CancellationError();
    }
    this.log.warn(`Chat request failed: ${failure.message}`);
    return new this.parts.LmError(failure.message);
  }
}

function hasImage(items: NonNullable<CompleteParams['input']>): boolean {
  return items.some((item) => {
    const content = item.type === 'message' ? item.content : item.type === 'function_call_output' ? item.output : undefined;
    return Array.isArray(content) && content.some((c: { type?: unknown }) => c.type === 'input_image');
  });
}

/** The account each recent conversation was served by; a move to another is logged. */
class ConversationOwners {
  private readonly owners = new Map<string, string>();

  served(conversation: string | null | undefined, account: { key: string; display_name: string }, model: string, log: vscode.LogOutputChannel): void {
    if (!conversation) {
      return;
    }
    const before = this.owners.get(conversation);
    if (before !== undefined && before !== account.display_name) {
      log.info(`Chat (${model}): the conversation moved from ${before} to ${account.display_name}.`);
    }
    this.owners.delete(conversation);
    this.owners.set(conversation, account.display_name);
    if (this.owners.size > REMEMBERED_CONVERSATIONS) {
      const oldest = this.owners.keys().next().value;
      if (oldest !== undefined) {
        this.owners.delete(oldest);
      }
    }
  }
}

/**
 * Announces a changed model list when the server (re)starts and when accounts, plans,
 * states or the active account change: not on every usage update, and once per burst.
 */
class ModelListChanges implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[];
  private signature: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  readonly event = this.emitter.event;

  constructor(connection: ServerConnection, statuses: StatusSource) {
    this.subscriptions = [
      connection.onDidChangeState((state) => {
        if (state.kind === 'running') {
          this.signature = undefined;
          this.schedule();
        }
      }),
      statuses.onDidChangeStatus((status) => {
        const signature = statusSignature(status);
        if (signature !== this.signature) {
          this.signature = signature;
          this.schedule();
        }
      }),
    ];
  }

  private schedule(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.emitter.fire();
    }, CHANGE_SETTLE_MS);
  }

  dispose(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.subscriptions.forEach((s) => s.dispose());
    this.emitter.dispose();
  }
}
