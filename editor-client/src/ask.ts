// MultiCodex: Ask — streams a completion into a new untitled editor, cancellable from the
// progress notification.
import * as vscode from 'vscode';
import { Methods, type CompletionDelta } from './protocol';
import type { ServerConnection } from './serverConnection';
import type { StreamRouter } from './streams';
import { reportError } from './ui';

const FLUSH_MS = 40;

export async function askCommand(
  connection: ServerConnection,
  streams: StreamRouter,
  log: vscode.LogOutputChannel,
  model: string,
  promptArg?: string,
): Promise<void> {
  const prompt = promptArg ?? (await vscode.window.showInputBox({
    title: 'MultiCodex: Ask',
    prompt: 'Ask Codex (answered through the best account of your pool)',
    ignoreFocusOut: true,
  }));
  if (!prompt?.trim()) {
    return;
  }
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: '' });
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  const writer = new EditorWriter(editor);
  const streamId = streams.newStreamId('ask');
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'MultiCodex', cancellable: true },
    async (progress, token) => {
      progress.report({ message: 'choosing an account…' });
      const close = streams.open(streamId, (delta) => onDelta(delta, writer, progress, log));
      try {
        const modelSlug = model || (await connection.request(Methods.modelsList, {})).default_model;
        const result = await connection.request(
          Methods.complete,
          { stream_id: streamId, model: modelSlug, prompt: prompt.trim() },
          token,
        );
        await writer.flush();
        if (writer.written === 0 && result.text) {
          writer.append(result.text);
          await writer.flush();
        }
        log.info(`Ask answered by ${result.account.display_name} (${result.attempts} attempt(s), ${result.model}).`);
      } catch (error) {
        await writer.flush();
        await reportError(error, 'Ask', log);
      } finally {
        close();
      }
    },
  );
}

function onDelta(
  delta: CompletionDelta,
  writer: EditorWriter,
  progress: vscode.Progress<{ message?: string }>,
  log: vscode.LogOutputChannel,
): void {
  switch (delta.kind) {
    case 'text':
      writer.append(delta.text);
      return;
    case 'start':
      progress.report({ message: `answering with ${delta.account?.display_name ?? 'an account'}…` });
      log.info(`Ask: ${delta.text}`);
      return;
    case 'switch':
    case 'notice':
      progress.report({ message: delta.text });
      log.info(`Ask: ${delta.text}`);
      return;
    case 'reasoning':
      return;
  }
}

/** Appends streamed text to the end of an editor, batching edits. */
class EditorWriter {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  written = 0;

  constructor(private readonly editor: vscode.TextEditor) {}

  append(text: string): void {
    this.pending += text;
    this.timer ??= setTimeout(() => {
      void this.flush();
    }, FLUSH_MS);
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const text = this.pending;
    this.pending = '';
    if (text) {
      this.chain = this.chain.then(async () => {
        const document = this.editor.document;
        const end = document.lineAt(document.lineCount - 1).range.end;
        const edit = new vscode.WorkspaceEdit();
        edit.insert(document.uri, end, text);
        await vscode.workspace.applyEdit(edit);
        this.written += text.length;
      });
    }
    return this.chain;
  }
}
