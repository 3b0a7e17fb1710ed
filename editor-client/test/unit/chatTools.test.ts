import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ToolArgumentsError, toolCallOfDelta, ToolMode, toolParams, unreportedToolCalls } from '../../src/chatTools';
import type { CompletionDelta } from '../../src/protocol';

function toolDelta(seq: number, call_id: string, name: string, args: string): CompletionDelta {
  return {
    stream_id: 's', seq, kind: 'tool_call', text: name, account: null, from_account: null, reason: null, until: null,
    tool_call: { call_id, name, arguments: args },
  };
}

describe('toolParams', () => {
  it('sends no tools and no tool_choice for a plain chat request', () => {
    assert.deepEqual(toolParams({}), {});
    assert.deepEqual(toolParams({ tools: [], toolMode: ToolMode.Required }), {});
  });

  it('maps tools to function tools with their schema, and the tool mode to tool_choice', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    assert.deepEqual(toolParams({ tools: [{ name: 'get_weather', description: 'Weather now', inputSchema: schema }], toolMode: ToolMode.Auto }), {
      tools: [{ type: 'function', name: 'get_weather', description: 'Weather now', parameters: schema, strict: false }],
      tool_choice: 'auto',
    });
    const required = toolParams({ tools: [{ name: 'ping', description: '' }], toolMode: ToolMode.Required });
    assert.equal(required.tool_choice, 'required');
    assert.deepEqual(required.tools, [{ type: 'function', name: 'ping', description: null, parameters: { type: 'object', properties: {} }, strict: false }]);
  });
});

describe('tool calls coming back', () => {
  it('reads a tool_call delta as a call with parsed arguments', () => {
    assert.deepEqual(toolCallOfDelta(toolDelta(1, 'call_1', 'get_weather', '{"city":"Oslo"}')), { callId: 'call_1', name: 'get_weather', input: { city: 'Oslo' } });
    assert.deepEqual(toolCallOfDelta(toolDelta(1, 'call_2', 'ping', '')), { callId: 'call_2', name: 'ping', input: {} });
    const textDelta: CompletionDelta = { ...toolDelta(2, 'x', 'y', '{}'), kind: 'text', tool_call: null };
    assert.equal(toolCallOfDelta(textDelta), undefined);
  });

  it('refuses arguments that are not a JSON object, naming the tool', () => {
    assert.throws(() => toolCallOfDelta(toolDelta(1, 'c', 'get_weather', '{"city":')), (e: Error) => e instanceof ToolArgumentsError && /get_weather/.test(e.message));
    assert.throws(() => toolCallOfDelta(toolDelta(1, 'c', 'get_weather', '[1]')), /not a JSON object/);
  });

  it('finds parallel calls in the result that no delta carried, once each', () => {
    const output_items = [
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Both.' }] },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
    ];
    assert.deepEqual(unreportedToolCalls({ output_items }, new Set(['call_1'])), [{ callId: 'call_2', name: 'get_weather', input: { city: 'Rome' } }]);
    assert.equal(unreportedToolCalls({ output_items }, new Set()).length, 2);
  });
});
