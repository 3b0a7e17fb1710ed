import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatRole, estimateTokens, toCompletionInput } from '../../src/chatMessages';

describe('toCompletionInput', () => {
  it('maps user and assistant turns to Responses API message items', () => {
    const result = toCompletionInput([
      { role: ChatRole.User, content: [{ value: 'Hi ' }, { value: 'there' }] },
      { role: ChatRole.Assistant, content: [{ value: 'Hello!' }] },
      { role: ChatRole.User, content: 'And now?' },
    ]);
    assert.equal(result.instructions, null);
    assert.deepEqual(result.input, [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi there' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And now?' }] },
    ]);
  });

  it('turns system messages into instructions and skips empty turns', () => {
    const result = toCompletionInput([
      { role: ChatRole.System, content: 'Be brief.' },
      { role: ChatRole.User, content: [{ callId: 'x' }] },
      { role: ChatRole.User, content: 'Q' },
    ]);
    assert.equal(result.instructions, 'Be brief.');
    assert.equal(result.input.length, 1);
  });

  it('estimates tokens', () => {
    assert.equal(estimateTokens('abcdefgh'), 2);
  });
});
