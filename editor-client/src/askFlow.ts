// MultiCodex: Ask, without the editor: the progress closes when the request ends (the error
// is reported after it), the answer's editor opens only when text arrives, and the
// progress says why the request moved to another account. The vscode side (ask.ts) plugs
// in the notification, the untitled editor and the error toast.
import type { CancellationToken } from 'vscode-jsonrpc';
import type { CompleteParams, CompleteResult, CompletionDelta } from './protocol';
import type { StreamRouter } from './streams';

/** Where the answer's text goes (an editor, once opened). */
export interface AnswerSink {
  append(text: string): void;
  flush(): Promise<void>;
}

export interface AskServer {
  defaultModel(): Promise<string>;
  complete(params: CompleteParams, token: CancellationToken): Promise<CompleteResult>;
}

export type ReportProgress = (message: string) => void;

export interface AskUi {
  /** Shows a cancellable progress for exactly as long as `task` runs. */
  withProgress<T>(task: (report: ReportProgress, token: CancellationToken) => Promise<T>): PromiseLike<T>;
  /** Opens the place the answer is written to; called once, when the first text arrives. */
  openAnswer(): Promise<AnswerSink>;
  reportError(error: unknown): Promise<void>;
  log(message: string): void;
}

export interface AskRequest {
  readonly prompt: string;
  /** Empty: the server's default model. */
  readonly model: string;
}

type Outcome = { readonly result: CompleteResult } | { readonly error: unknown };

/** Runs one Ask; resolves with the result, or undefined once a failure has been reported. */
export async function runAsk(
  server: AskServer,
  streams: StreamRouter,
  ui: AskUi,
  request: AskRequest,
): Promise<CompleteResult | undefined> {
  const outcome = await ui.withProgress((report, token) => complete(server, streams, ui, request, report, token));
  if ('error' in outcome) {
    await ui.reportError(outcome.error);
    return undefined;
  }
  const { result } = outcome;
  ui.log(`Ask answered by ${result.account.display_name} (${result.attempts} attempt(s), ${result.model}).`);
  return result;
}

async function complete(
  server: AskServer,
  streams: StreamRouter,
  ui: AskUi,
  request: AskRequest,
  report: ReportProgress,
  token: CancellationToken,
): Promise<Outcome> {
  report('choosing an account…');
  const answer = new LazyAnswer(() => ui.openAnswer());
  const streamId = streams.newStreamId('ask');
  const close = streams.open(streamId, (delta) => onDelta(delta, answer, report, ui.log));
  try {
    const model = request.model || (await server.defaultModel());
    const result = await server.complete({ stream_id: streamId, model, prompt: request.prompt }, token);
    if (!answer.started) {
      answer.append(result.text);
    }
    await answer.flush();
    return { result };
  } catch (error) {
    await answer.flush().catch(() => undefined);
    return { error };
  } finally {
    close();
  }
}

function onDelta(delta: CompletionDelta, answer: LazyAnswer, report: ReportProgress, log: (message: string) => void): void {
  switch (delta.kind) {
    case 'text':
      answer.append(delta.text);
      return;
    case 'start':
      report(`answering with ${delta.account?.display_name ?? 'an account'}…`);
      log(`Ask: ${delta.text}`);
      return;
    case 'switch':
    case 'notice': {
      const message = deltaMessage(delta);
      report(message);
      log(`Ask: ${message}`);
      return;
    }
    case 'reasoning':
      return;
  }
}

/** A switch or notice in words, with why it happened when the server says so. */
export function deltaMessage(delta: CompletionDelta): string {
  const reason = delta.reason?.trim();
  if (!reason || delta.text.includes(reason)) {
    return delta.text;
  }
  return `${delta.text}: ${reason}`;
}

/** Opens the answer's sink on the first non-empty text, keeping the order of the text. */
class LazyAnswer {
  private sink: Promise<AnswerSink> | undefined;

  constructor(private readonly open: () => Promise<AnswerSink>) {}

  get started(): boolean {
    return this.sink !== undefined;
  }

  append(text: string): void {
    if (!text) {
      return;
    }
    this.sink ??= this.open();
    // Callbacks on one promise run in the order they were added, so the text stays in order.
    this.sink.then((sink) => sink.append(text), () => undefined);
  }

  async flush(): Promise<void> {
    if (this.sink) {
      await (await this.sink).flush();
    }
  }
}
