import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatFailure, WAIT_SETTING } from '../../src/chatErrors';
import { ErrorCode } from '../../src/protocol';
import { NOW } from './fixtures';

const time = { now: NOW, timeZone: 'UTC' };
const alice = { key: 'a', display_name: 'alice@example.test' };

describe('chatFailure', () => {
  it('gives the earliest reset in local time and how to wait for it when the pool is exhausted', () => {
    const failure = chatFailure(
      { code: ErrorCode.POOL_EXHAUSTED, message: 'all exhausted', data: { earliest_reset: NOW + 23 * 60, waited_seconds: 0, accounts: [] } },
      time,
    );
    assert.equal(failure.kind, 'error');
    const message = failure.kind === 'error' ? failure.message : '';
    const clock = new Date((NOW + 23 * 60) * 1000).toISOString().slice(11, 16);
    assert.match(message, new RegExp(`earliest reset is at ${clock} \\(in 23m\\)`));
    assert.ok(message.includes(WAIT_SETTING), message);
  });

  it('names an exhausted pool\'s account that needs a new login, and how', () => {
    const failure = chatFailure(
      { code: ErrorCode.POOL_EXHAUSTED, message: 'x', data: { earliest_reset: null, waited_seconds: 0, accounts: [{ account: alice, state: 'needs_reauth', until: null, detail: null }] } },
      time,
    );
    assert.match(failure.kind === 'error' ? failure.message : '', /no reset time is known yet.*alice@example\.test needs a new login: run “MultiCodex: Re-authenticate Account…”/);
  });

  it('says which account needs a new login and how to give it one', () => {
    const failure = chatFailure({ code: ErrorCode.NEEDS_REAUTH, message: 'x', data: { account: alice, reason: 'refresh token was already used' } }, time);
    assert.deepEqual(failure, {
      kind: 'error',
      message: 'MultiCodex account alice@example.test needs a new login (refresh token was already used). Run “MultiCodex: Re-authenticate Account…” and choose alice@example.test, then send the request again.',
    });
  });

  it('lists the models the pool can serve when none can serve the one asked for', () => {
    const failure = chatFailure({ code: ErrorCode.MODEL_UNAVAILABLE, message: 'x', data: { model: 'spark', accounts: [], servable_models: ['gpt-6-sol', 'gpt-5.5'] } }, time);
    assert.match(failure.kind === 'error' ? failure.message : '', /No MultiCodex account can serve spark now\. Models the pool can serve: gpt-6-sol, gpt-5\.5\./);
  });

  it('turns a cancelled request into a cancellation, and other failures into MultiCodex words', () => {
    assert.deepEqual(chatFailure({ code: ErrorCode.REQUEST_CANCELLED, message: 'cancelled' }, time), { kind: 'cancelled' });
    assert.deepEqual(chatFailure({ code: ErrorCode.NO_ACCOUNTS, message: 'none' }, time), { kind: 'error', message: 'MultiCodex has no accounts yet. Run “MultiCodex: Add Account” to sign in with a ChatGPT account.' });
    assert.deepEqual(chatFailure(new Error('boom'), time), { kind: 'error', message: 'MultiCodex: boom' });
  });
});
