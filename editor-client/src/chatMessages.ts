// Turns VS Code language-model chat messages into Responses API input items for
// `multicodex/complete`. Only text parts travel; other parts are described, not dropped
// silently.
import type { CompleteParams } from './protocol';

/** A Responses API input item, passed through to the backend as it is. */
type InputItem = NonNullable<CompleteParams['input']>[number];

/** The roles of vscode.LanguageModelChatMessageRole (User = 1, Assistant = 2, System = 3). */
export const ChatRole = { User: 1, Assistant: 2, System: 3 } as const;

export interface ChatMessageLike {
  readonly role: number;
  readonly content: string | ReadonlyArray<unknown>;
}

export interface CompletionInput {
  readonly instructions: string | null;
  readonly input: InputItem[];
}

export function toCompletionInput(messages: readonly ChatMessageLike[]): CompletionInput {
  const instructions: string[] = [];
  const input: InputItem[] = [];
  for (const message of messages) {
    const text = messageText(message.content);
    if (message.role === ChatRole.System) {
      instructions.push(text);
      continue;
    }
    if (!text) {
      continue;
    }
    const assistant = message.role === ChatRole.Assistant;
    input.push({
      type: 'message',
      role: assistant ? 'assistant' : 'user',
      content: [{ type: assistant ? 'output_text' : 'input_text', text }],
    });
  }
  return { instructions: instructions.length > 0 ? instructions.join('\n\n') : null, input };
}

export function messageText(content: string | ReadonlyArray<unknown>): string {
  if (typeof content === 'string') {
    return content;
  }
  return content.map(partText).filter((text) => text.length > 0).join('');
}

function partText(part: unknown): string {
  if (typeof part === 'string') {
    return part;
  }
  if (typeof part === 'object' && part !== null && 'value' in part) {
    const value = (part as { value: unknown }).value;
    return typeof value === 'string' ? value : '';
  }
  return '';
}

/** A rough token estimate (4 characters per token) for provideTokenCount. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
