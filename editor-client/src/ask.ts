// MultiCodex: Ask — streams a completion into a new untitled editor (opened when the first
// text arrives), cancellable from the progress notification. The flow is askFlow.ts.
import * as vscode from 'vscode';
import { runAsk, type AnswerSink, type AskUi } from './askFlow';
import { Methods } from './protocol';
import type { ServerConnection } from './serverConnection';
import type { StreamRouter } from './streams';
import { currentSettings } from './settings';
import { askToUsePool, reportError } from './ui';
import { completeAskingForPool } from './workspaceAccountModel';

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
  const ui: AskUi = {
    withProgress: (task) => vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'MultiCodex', cancellable: true },
      (progress, token) => task((message) => progress.report({ message }), token),
    ),
    openAnswer: openAnswerEditor,
    reportError: (error) => reportError(error, 'Ask', log),
    log: (message) => log.info(message),
  };
  await runAsk(
    {
      defaultModel: async () => (await connection.request(Methods.modelsList, {})).default_model,
      complete: (params, token) => completeAskingForPool(
        params,
        currentSettings().forServer.workspace_account,
        (sent) => connection.request(Methods.complete, sent, token),
        askToUsePool,
        (streamId) => streams.restart(streamId),
      ),
    },
    streams,
    ui,
    { prompt: prompt.trim(), model },
  );
}

async function openAnswerEditor(): Promise<AnswerSink> {
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: '' });
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  return new EditorWriter(editor);
}

/** Appends streamed text to the end of an editor, batching edits. */
class EditorWriter implements AnswerSink {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

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
      });
    }
    return this.chain;
  }
}
