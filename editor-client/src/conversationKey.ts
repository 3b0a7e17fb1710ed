// A stable key for a vscode.lm conversation. VS Code sends the whole history with every
// request and no conversation id, so the key is a hash of what does not change as the
// conversation grows: the system prompt and the first user message (plus a chat session
// id when the caller passes one). The server keeps a conversation key on its account and
// uses it as the backend's prompt cache key.
import { createHash } from 'node:crypto';
import { ChatRole, messageText, type ChatMessageLike } from './chatMessages';

const PREFIX = 'vscode-lm-';

/** Model option names a caller may use to name its chat session. */
const SESSION_OPTION_KEYS = ['chatSessionId', 'sessionId', 'conversationId'] as const;

export function conversationKey(messages: readonly ChatMessageLike[], modelOptions?: Readonly<Record<string, unknown>>): string | undefined {
  const system = messages.filter((m) => m.role === ChatRole.System).map((m) => messageText(m.content)).join('\n\n');
  const firstUser = messages.find((m) => m.role === ChatRole.User);
  if (!firstUser) {
    return undefined;
  }
  const session = sessionId(modelOptions);
  const hash = createHash('sha256');
  hash.update(JSON.stringify([session ?? '', system, firstUserText(firstUser)]));
  return `${PREFIX}${hash.digest('hex').slice(0, 32)}`;
}

function sessionId(modelOptions: Readonly<Record<string, unknown>> | undefined): string | undefined {
  for (const key of SESSION_OPTION_KEYS) {
    const value = modelOptions?.[key];
    if (typeof value === 'string' && value) {
      return value;
    }
  }
  return undefined;
}

/** The first user message's text and a digest of each image (hint parts, which callers
 * move from message to message, do not count). */
function firstUserText(message: ChatMessageLike): string {
  if (typeof message.content === 'string') {
    return message.content;
  }
  return message.content.map(partFingerprint).filter((f) => f).join('\u0000');
}

function partFingerprint(part: unknown): string {
  if (typeof part === 'object' && part !== null) {
    const p = part as { value?: unknown; mimeType?: unknown; data?: unknown; callId?: unknown };
    if (typeof p.value === 'string') {
      return p.value;
    }
    if (typeof p.mimeType === 'string' && p.mimeType.startsWith('image/') && p.data instanceof Uint8Array) {
      return `${p.mimeType}:${createHash('sha256').update(p.data).digest('hex')}`;
    }
    if (typeof p.callId === 'string') {
      return `call:${p.callId}`;
    }
  }
  return typeof part === 'string' ? part : '';
}
