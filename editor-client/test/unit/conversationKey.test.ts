import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatRole, type ChatMessageLike } from '../../src/chatMessages';
import { conversationKey } from '../../src/conversationKey';

const system: ChatMessageLike = { role: ChatRole.System, content: 'You are an agent.' };
const first: ChatMessageLike = { role: ChatRole.User, content: [{ value: 'Fix the build.' }] };

describe('conversationKey', () => {
  it('stays the same as the conversation grows (and as hint parts move)', () => {
    const turn1 = conversationKey([system, first]);
    const turn3 = conversationKey([
      system,
      { role: ChatRole.User, content: [{ value: 'Fix the build.' }, { mimeType: 'cache_control', data: new Uint8Array([1]) }] },
      { role: ChatRole.Assistant, content: [{ callId: 'c1', name: 'run', input: { cmd: 'make' } }] },
      { role: ChatRole.User, content: [{ callId: 'c1', content: [{ value: 'ok' }] }] },
    ]);
    assert.ok(turn1?.startsWith('vscode-lm-'));
    assert.equal(turn1, turn3);
  });

  it('differs for another first message, another system prompt or another chat session', () => {
    const base = conversationKey([system, first]);
    assert.notEqual(conversationKey([system, { role: ChatRole.User, content: 'Fix the tests.' }]), base);
    assert.notEqual(conversationKey([{ role: ChatRole.System, content: 'Other.' }, first]), base);
    assert.notEqual(conversationKey([system, first], { chatSessionId: 'session-2' }), conversationKey([system, first], { chatSessionId: 'session-1' }));
  });

  it('tells conversations apart by the image in their first message', () => {
    const withImage = (byte: number): ChatMessageLike => ({ role: ChatRole.User, content: [{ value: 'What is this?' }, { mimeType: 'image/png', data: new Uint8Array([byte]) }] });
    assert.notEqual(conversationKey([withImage(1)]), conversationKey([withImage(2)]));
  });

  it('has no key without a user message', () => {
    assert.equal(conversationKey([system]), undefined);
  });
});
