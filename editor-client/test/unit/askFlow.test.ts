import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancellationToken } from 'vscode-jsonrpc';
import { deltaMessage, runAsk, type AnswerSink, type AskServer, type AskUi } from '../../src/askFlow';
import { ErrorCode, type CompleteParams, type CompleteResult, type CompletionDelta } from '../../src/protocol';
import { StreamRouter } from '../../src/streams';

const bob = { key: 'bob|b', display_name: 'bob' };
const alice = { key: 'alice|a', display_name: 'alice' };
const WHY = 'bob hit the 5h limit (resets in 42m); alice: 40% weekly, resets Sat 09:00';

function delta(stream_id: string, seq: number, fields: Partial<CompletionDelta> & Pick<CompletionDelta, 'kind' | 'text'>): CompletionDelta {
  return { stream_id, seq, account: null, from_account: null, reason: null, until: null, tool_call: null, ...fields };
}

function result(stream_id: string, text: string): CompleteResult {
  return {
    stream_id,
    text,
    reasoning_text: '',
    account: alice,
    switches: [],
    selection_reasons: [],
    attempts: 2,
    usage: { input_tokens: 1, cached_tokens: 0, output_tokens: 1, reasoning_tokens: 0, total_tokens: 2 },
    response_id: null,
    model: 'gpt-test',
    status: 'completed',
    incomplete_reason: null,
    output_items: [],
    deltas: 0,
  };
}

/** A server that sends `deltas` for the request's stream, then answers or fails. */
function fakeServer(
  streams: StreamRouter,
  deltas: (streamId: string) => CompletionDelta[],
  answer: (params: CompleteParams) => CompleteResult | Error,
): AskServer {
  return {
    defaultModel: () => Promise.resolve('gpt-test'),
    complete: async (params) => {
      for (const d of deltas(params.stream_id)) {
        streams.dispatch(d);
      }
      const outcome = answer(params);
      if (outcome instanceof Error) {
        throw outcome;
      }
      return outcome;
    },
  };
}

/** Records, in order, what the user would see. */
function recordingUi(): { ui: AskUi; events: string[]; text: () => string } {
  const events: string[] = [];
  let written = '';
  const sink: AnswerSink = {
    append: (text) => {
      written += text;
    },
    flush: () => Promise.resolve(),
  };
  const ui: AskUi = {
    withProgress: async (task) => {
      events.push('progress shown');
      try {
        return await task((message) => events.push(`progress: ${message}`), CancellationToken.None);
      } finally {
        events.push('progress closed');
      }
    },
    openAnswer: () => {
      events.push('editor opened');
      return Promise.resolve(sink);
    },
    reportError: (error) => {
      events.push(`error shown: ${(error as Error).message}`);
      return Promise.resolve();
    },
    log: () => undefined,
  };
  return { ui, events, text: () => written };
}

function poolExhausted(): Error {
  return Object.assign(new Error('every account is exhausted'), { code: ErrorCode.POOL_EXHAUSTED });
}

describe('runAsk', () => {
  it('opens no editor and closes the progress before showing the error when no account can serve', async () => {
    const streams = new StreamRouter();
    const { ui, events } = recordingUi();
    const server = fakeServer(streams, () => [], () => poolExhausted());
    const answered = await runAsk(server, streams, ui, { prompt: 'hi', model: '' });
    assert.equal(answered, undefined);
    assert.ok(!events.includes('editor opened'), events.join('\n'));
    assert.deepEqual(events.slice(-2), ['progress closed', 'error shown: every account is exhausted']);
    assert.equal(streams.openStreams, 0);
  });

  it('opens the editor on the first text and writes every piece in order', async () => {
    const streams = new StreamRouter();
    const { ui, events, text } = recordingUi();
    const server = fakeServer(
      streams,
      (id) => [
        delta(id, 0, { kind: 'start', text: 'using alice', account: alice }),
        delta(id, 1, { kind: 'text', text: 'Hello', account: alice }),
        delta(id, 2, { kind: 'text', text: ', world', account: alice }),
      ],
      (params) => result(params.stream_id, 'Hello, world'),
    );
    const answered = await runAsk(server, streams, ui, { prompt: 'hi', model: '' });
    assert.equal(answered?.account.key, alice.key);
    assert.equal(text(), 'Hello, world');
    assert.equal(events.filter((e) => e === 'editor opened').length, 1);
    assert.ok(events.indexOf('progress: answering with alice…') < events.indexOf('editor opened'));
  });

  it('writes the result text when no text came as deltas', async () => {
    const streams = new StreamRouter();
    const { ui, text } = recordingUi();
    const server = fakeServer(streams, () => [], (params) => result(params.stream_id, 'whole answer'));
    await runAsk(server, streams, ui, { prompt: 'hi', model: 'gpt-test' });
    assert.equal(text(), 'whole answer');
  });

  it('says why it switched accounts', async () => {
    const streams = new StreamRouter();
    const { ui, events } = recordingUi();
    const server = fakeServer(
      streams,
      (id) => [
        delta(id, 0, { kind: 'start', text: 'using bob', account: bob }),
        delta(id, 1, { kind: 'switch', text: 'switched from bob to alice', account: alice, from_account: bob, reason: WHY }),
        delta(id, 2, { kind: 'text', text: 'Hi', account: alice }),
      ],
      (params) => result(params.stream_id, 'Hi'),
    );
    await runAsk(server, streams, ui, { prompt: 'hi', model: '' });
    assert.ok(events.includes(`progress: switched from bob to alice: ${WHY}`), events.join('\n'));
  });
});

describe('deltaMessage', () => {
  it('adds the reason to the text, once', () => {
    const base = delta('s', 0, { kind: 'switch', text: 'switched from bob to alice' });
    assert.equal(deltaMessage({ ...base, reason: 'bob is cooling down' }), 'switched from bob to alice: bob is cooling down');
    assert.equal(deltaMessage({ ...base, reason: null }), 'switched from bob to alice');
    assert.equal(deltaMessage({ ...base, text: 'bob is cooling down, trying alice', reason: 'bob is cooling down' }), 'bob is cooling down, trying alice');
  });
});
