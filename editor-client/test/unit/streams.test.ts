import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompletionDelta } from '../../src/protocol';
import { StreamRouter } from '../../src/streams';

const delta = (stream_id: string, seq: number, text: string): CompletionDelta => ({
  stream_id, seq, kind: 'text', text, account: null, from_account: null, reason: null, until: null, tool_call: null,
});

describe('StreamRouter', () => {
  it('delivers each stream its own deltas, in sequence order', () => {
    const router = new StreamRouter();
    const a: string[] = [];
    const b: string[] = [];
    router.open('a', (d) => a.push(d.text));
    router.open('b', (d) => b.push(d.text));
    router.dispatch(delta('a', 1, 'world'));
    router.dispatch(delta('b', 0, 'x'));
    router.dispatch(delta('a', 0, 'hello '));
    assert.deepEqual(a, ['hello ', 'world']);
    assert.deepEqual(b, ['x']);
  });

  it('ignores deltas of closed or unknown streams', () => {
    const router = new StreamRouter();
    const seen: string[] = [];
    const close = router.open('a', (d) => seen.push(d.text));
    close();
    assert.equal(router.dispatch(delta('a', 0, 'late')), false);
    assert.equal(router.dispatch(delta('zzz', 0, 'stray')), false);
    assert.deepEqual(seen, []);
    assert.equal(router.openStreams, 0);
  });

  it('counts a restarted stream from 0 again (its request was sent once more)', () => {
    const router = new StreamRouter();
    const seen: string[] = [];
    router.open('a', (d) => seen.push(d.text));
    router.dispatch(delta('a', 0, 'start on bob'));
    router.restart('a');
    router.dispatch(delta('a', 1, 'pool text'));
    router.dispatch(delta('a', 0, 'start on alice'));
    assert.deepEqual(seen, ['start on bob', 'start on alice', 'pool text']);
  });

  it('makes unique stream ids', () => {
    const router = new StreamRouter();
    assert.notEqual(router.newStreamId('ask'), router.newStreamId('ask'));
  });
});
