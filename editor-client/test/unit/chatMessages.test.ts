import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatRole, estimateTokens, MAX_IMAGE_BYTES, toCompletionInput, UnsupportedPartError } from '../../src/chatMessages';

/** Shapes of vscode's parts, as the extension host hands them over. */
const text = (value: string) => ({ value });
const toolCall = (callId: string, name: string, input: object) => ({ callId, name, input });
const toolResult = (callId: string, content: unknown[]) => ({ callId, content });
const data = (mimeType: string, bytes: Uint8Array) => ({ mimeType, data: bytes });

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('toCompletionInput', () => {
  it('maps user and assistant turns to Responses API message items', () => {
    const result = toCompletionInput([
      { role: ChatRole.User, content: [text('Hi '), text('there')] },
      { role: ChatRole.Assistant, content: [text('Hello!')] },
      { role: ChatRole.User, content: 'And now?' },
    ]);
    assert.equal(result.instructions, null);
    assert.deepEqual(result.input, [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi ' }, { type: 'input_text', text: 'there' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And now?' }] },
    ]);
  });

  it('turns system messages into instructions and skips empty turns', () => {
    const result = toCompletionInput([
      { role: ChatRole.System, content: 'Be brief.' },
      { role: ChatRole.User, content: [text('')] },
      { role: ChatRole.User, content: 'Q' },
    ]);
    assert.equal(result.instructions, 'Be brief.');
    assert.equal(result.input.length, 1);
  });

  it('replays an assistant turn with parallel tool calls as function_call items, after its text', () => {
    const result = toCompletionInput([
      { role: ChatRole.User, content: 'Weather in Oslo and Rome?' },
      {
        role: ChatRole.Assistant,
        content: [text('Looking both up.'), toolCall('call_1', 'get_weather', { city: 'Oslo' }), toolCall('call_2', 'get_weather', { city: 'Rome' })],
      },
      { role: ChatRole.User, content: [toolResult('call_1', [text('-3 C')]), toolResult('call_2', [text('18 C')])] },
    ]);
    assert.deepEqual(result.input.slice(1), [
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Looking both up.' }] },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
      { type: 'function_call_output', call_id: 'call_1', output: '-3 C' },
      { type: 'function_call_output', call_id: 'call_2', output: '18 C' },
    ]);
  });

  it('keeps the order of tool results and the text that follows them in one user message', () => {
    const result = toCompletionInput([
      { role: ChatRole.User, content: [toolResult('c', [text('a'), data('application/json', new TextEncoder().encode('{"b":1}'))]), text('Now summarise.')] },
    ]);
    assert.deepEqual(result.input, [
      { type: 'function_call_output', call_id: 'c', output: 'a{"b":1}' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Now summarise.' }] },
    ]);
  });

  it('sends images as input_image data URLs beside the text', () => {
    const result = toCompletionInput([
      { role: ChatRole.User, content: [text('What is this?'), data('image/png', PNG), data('image/webp', PNG)] },
    ]);
    const base64 = Buffer.from(PNG).toString('base64');
    assert.deepEqual(result.input, [
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'What is this?' },
          { type: 'input_image', image_url: `data:image/png;base64,${base64}` },
          { type: 'input_image', image_url: `data:image/webp;base64,${base64}` },
        ],
      },
    ]);
  });

  it('sends an image a tool returned inside its function_call_output', () => {
    const result = toCompletionInput([{ role: ChatRole.User, content: [toolResult('shot', [text('screen:'), data('image/jpeg', PNG)])] }]);
    assert.deepEqual(result.input, [
      {
        type: 'function_call_output',
        call_id: 'shot',
        output: [
          { type: 'input_text', text: 'screen:' },
          { type: 'input_image', image_url: `data:image/jpeg;base64,${Buffer.from(PNG).toString('base64')}` },
        ],
      },
    ]);
  });

  it('leaves out cache hints, which carry no content', () => {
    const result = toCompletionInput([{ role: ChatRole.User, content: [text('Q'), data('cache_control', new TextEncoder().encode('ephemeral'))] }]);
    assert.deepEqual(result.input, [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Q' }] }]);
  });

  it('refuses an unsupported image type, naming the part', () => {
    assert.throws(
      () => toCompletionInput([{ role: ChatRole.User, content: [text('Q'), data('image/tiff', PNG)] }]),
      (error: Error) => error instanceof UnsupportedPartError && /message 1, part 2: image\/tiff images are not supported/.test(error.message),
    );
  });

  it('refuses an oversized image, naming the part and the limit', () => {
    const big = new Uint8Array(MAX_IMAGE_BYTES + 1);
    assert.throws(
      () => toCompletionInput([{ role: ChatRole.User, content: 'first' }, { role: ChatRole.User, content: [data('image/png', big)] }]),
      /message 2, part 1: the image is 20\.0 MB, more than the 20 MB/,
    );
  });

  it('refuses data it cannot send and parts it does not know, never dropping them', () => {
    assert.throws(
      () => toCompletionInput([{ role: ChatRole.User, content: [data('application/pdf', PNG)] }]),
      /message 1, part 1 \(data of type application\/pdf\)/,
    );
    assert.throws(() => toCompletionInput([{ role: ChatRole.User, content: [{ callId: 'x' }] }]), UnsupportedPartError);
  });

  it('estimates tokens', () => {
    assert.equal(estimateTokens('abcdefgh'), 2);
  });
});
