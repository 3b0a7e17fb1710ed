// Turns VS Code language-model chat messages into Responses API input items for
// `multicodex/complete`: text, images (input_image), the assistant's tool calls
// (function_call) and their results (function_call_output). A part that cannot travel is
// an error naming it, never dropped silently.
//
// Parts are recognised by their shape, not their class: this module runs in unit tests
// without VS Code, and the typings the extension builds against predate most parts.
import type { CompleteParams } from './protocol';

/** A Responses API input item, passed through to the backend as it is. */
export type InputItem = NonNullable<CompleteParams['input']>[number];

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

/** Image types the backend reads (input_image). */
export const IMAGE_MIME_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
/** The largest image sent, in bytes (the backend refuses bigger ones). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
/**
 * Data parts that carry hints for other providers' caches or state, not content
 * (Copilot Chat adds them to its prompts); they are left out on purpose.
 */
const HINT_MIME_TYPES: readonly string[] = ['cache_control', 'stateful_marker'];

/** A message part that cannot be sent; its message names the part. */
export class UnsupportedPartError extends Error {
  override readonly name = 'UnsupportedPartError';
}

type Content = { readonly type: string; readonly [key: string]: unknown };

export function toCompletionInput(messages: readonly ChatMessageLike[]): CompletionInput {
  const instructions: string[] = [];
  const input: InputItem[] = [];
  messages.forEach((message, index) => {
    if (message.role === ChatRole.System) {
      const text = messageText(message.content);
      if (text) {
        instructions.push(text);
      }
      return;
    }
    input.push(...messageItems(message, index + 1));
  });
  return { instructions: instructions.length > 0 ? instructions.join('\n\n') : null, input };
}

/** One message's items, in the order of its parts: runs of content become one message. */
function messageItems(message: ChatMessageLike, position: number): InputItem[] {
  const assistant = message.role === ChatRole.Assistant;
  const parts = typeof message.content === 'string' ? [{ value: message.content }] : message.content;
  const items: InputItem[] = [];
  let content: Content[] = [];
  const flush = (): void => {
    if (content.length > 0) {
      items.push({ type: 'message', role: assistant ? 'assistant' : 'user', content });
      content = [];
    }
  };
  parts.forEach((part, index) => {
    const where = `message ${position}, part ${index + 1}`;
    if (isToolCall(part)) {
      flush();
      items.push(functionCall(part));
    } else if (isToolResult(part)) {
      flush();
      items.push(functionCallOutput(part, where));
    } else {
      content.push(...contentOf(part, assistant, where));
    }
  });
  flush();
  return items;
}

function contentOf(part: unknown, assistant: boolean, where: string): Content[] {
  const textType = assistant ? 'output_text' : 'input_text';
  if (typeof part === 'string') {
    return part ? [{ type: textType, text: part }] : [];
  }
  if (isDataPart(part)) {
    return dataContent(part, assistant, where);
  }
  if (isTextPart(part)) {
    return part.value ? [{ type: textType, text: part.value }] : [];
  }
  throw new UnsupportedPartError(`MultiCodex cannot send ${where} (${describePart(part)}) to a Codex model.`);
}

function dataContent(part: DataPartLike, assistant: boolean, where: string): Content[] {
  const mimeType = part.mimeType.toLowerCase();
  if (HINT_MIME_TYPES.includes(mimeType)) {
    return [];
  }
  if (isTextual(mimeType)) {
    const text = new TextDecoder().decode(part.data);
    return text ? [{ type: assistant ? 'output_text' : 'input_text', text }] : [];
  }
  if (!mimeType.startsWith('image/')) {
    throw new UnsupportedPartError(`MultiCodex cannot send ${where} (data of type ${part.mimeType}) to a Codex model.`);
  }
  if (assistant) {
    throw new UnsupportedPartError(`MultiCodex cannot send ${where} (an image in an assistant message) to a Codex model.`);
  }
  return [imageContent(part, where)];
}

function imageContent(part: DataPartLike, where: string): Content {
  const mimeType = part.mimeType.toLowerCase();
  if (!IMAGE_MIME_TYPES.includes(mimeType)) {
    throw new UnsupportedPartError(
      `MultiCodex cannot send ${where}: ${part.mimeType} images are not supported (use PNG, JPEG, GIF or WebP).`,
    );
  }
  if (part.data.byteLength > MAX_IMAGE_BYTES) {
    const mb = (part.data.byteLength / (1024 * 1024)).toFixed(1);
    throw new UnsupportedPartError(
      `MultiCodex cannot send ${where}: the image is ${mb} MB, more than the ${MAX_IMAGE_BYTES / (1024 * 1024)} MB a Codex model accepts.`,
    );
  }
  const base64 = Buffer.from(part.data.buffer, part.data.byteOffset, part.data.byteLength).toString('base64');
  return { type: 'input_image', image_url: `data:${mimeType};base64,${base64}` };
}

function functionCall(part: ToolCallLike): InputItem {
  return { type: 'function_call', call_id: part.callId, name: part.name, arguments: JSON.stringify(part.input ?? {}) };
}

function functionCallOutput(part: ToolResultLike, where: string): InputItem {
  const texts: string[] = [];
  const images: Content[] = [];
  part.content.forEach((inner, index) => {
    const innerWhere = `${where}, tool result part ${index + 1}`;
    if (isDataPart(inner) && inner.mimeType.toLowerCase().startsWith('image/')) {
      images.push(imageContent(inner, innerWhere));
      return;
    }
    texts.push(...contentOf(inner, false, innerWhere).map((c) => String(c.text ?? '')));
  });
  const text = texts.join('');
  if (images.length === 0) {
    return { type: 'function_call_output', call_id: part.callId, output: text };
  }
  const output = text ? [{ type: 'input_text', text }, ...images] : images;
  return { type: 'function_call_output', call_id: part.callId, output };
}

/** The text of a message's text parts (for instructions and token estimates). */
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
  if (isTextPart(part)) {
    return part.value;
  }
  if (isToolCall(part)) {
    return `${part.name} ${JSON.stringify(part.input ?? {})}`;
  }
  if (isToolResult(part)) {
    return messageText(part.content);
  }
  return '';
}

/** A rough token estimate (4 characters per token) for provideTokenCount. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

// ---------------------------------------------------------------- part shapes

interface TextPartLike {
  readonly value: string;
}

interface ToolCallLike {
  readonly callId: string;
  readonly name: string;
  readonly input: unknown;
}

interface ToolResultLike {
  readonly callId: string;
  readonly content: ReadonlyArray<unknown>;
}

interface DataPartLike {
  readonly mimeType: string;
  readonly data: Uint8Array;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isTextPart(part: unknown): part is TextPartLike {
  return isObject(part) && typeof part.value === 'string' && !('callId' in part);
}

function isToolCall(part: unknown): part is ToolCallLike {
  return isObject(part) && typeof part.callId === 'string' && typeof part.name === 'string' && 'input' in part;
}

function isToolResult(part: unknown): part is ToolResultLike {
  return isObject(part) && typeof part.callId === 'string' && Array.isArray(part.content);
}

function isDataPart(part: unknown): part is DataPartLike {
  return isObject(part) && typeof part.mimeType === 'string' && part.data instanceof Uint8Array;
}

function isTextual(mimeType: string): boolean {
  return mimeType.startsWith('text/') || mimeType === 'application/json' || mimeType.endsWith('+json');
}

function describePart(part: unknown): string {
  if (!isObject(part)) {
    return `a ${typeof part}`;
  }
  const name = (part.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== 'Object' ? `a ${name}` : `a part with ${Object.keys(part).join(', ') || 'no fields'}`;
}
