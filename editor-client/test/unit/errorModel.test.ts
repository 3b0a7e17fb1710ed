import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeError } from '../../src/errorModel';
import { ErrorCode } from '../../src/protocol';

describe('describeError', () => {
  it('keeps cancellation quiet', () => {
    assert.equal(describeError({ code: ErrorCode.REQUEST_CANCELLED, message: 'cancelled' }, 'Ask').silent, true);
  });

  it('offers re-authentication for NEEDS_REAUTH and exhausted pools with a dead account', () => {
    const account = { key: 'k', display_name: 'bob' };
    assert.deepEqual(
      describeError({ code: ErrorCode.NEEDS_REAUTH, message: 'bob needs a new login', data: { account, reason: null } }, 'Switching').followUps,
      [{ kind: 'reauth', account }],
    );
    const exhausted = describeError(
      { code: ErrorCode.POOL_EXHAUSTED, message: 'all exhausted', data: { earliest_reset: null, waited_seconds: 0, accounts: [{ account, state: 'needs_reauth', until: null, detail: null }] } },
      'Ask',
    );
    assert.deepEqual(exhausted.followUps, [{ kind: 'reauth', account }]);
  });

  it('offers adding an account for NO_ACCOUNTS and the logs for internal errors', () => {
    assert.deepEqual(describeError({ code: ErrorCode.NO_ACCOUNTS, message: 'none' }, 'Ask').followUps, [{ kind: 'addAccount' }]);
    assert.deepEqual(describeError(new Error('boom'), 'Ask').followUps, [{ kind: 'showLogs' }]);
    assert.equal(describeError(new Error('boom'), 'Ask').message, 'MultiCodex: Ask failed: boom');
  });
});
