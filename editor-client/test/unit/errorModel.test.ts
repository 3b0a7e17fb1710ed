import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeError, followUpLabel } from '../../src/errorModel';
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

  it('offers starting with an empty store for STORE_CORRUPT, keeping the path in the message', () => {
    const movedTo = '/home/dev/.config/multicodex/accounts.json.corrupt-20260301T101500Z';
    const report = describeError(
      {
        code: ErrorCode.STORE_CORRUPT,
        message: `accounts.json could not be used (not valid JSON); it was moved to ${movedTo} so nothing is lost.`,
        data: {
          store_file: '/home/dev/.config/multicodex/accounts.json',
          moved_to: movedTo,
          reason: 'not valid JSON',
          foreign_format: null,
          recover_method: 'multicodex/store/recover',
          recover_command: 'multicodex recover --start-empty',
        },
      },
      'Listing accounts',
    );
    assert.equal(report.silent, false);
    assert.ok(report.message.startsWith('MultiCodex: Listing accounts failed: '));
    assert.ok(report.message.includes(movedTo));
    assert.deepEqual(report.followUps, [{ kind: 'startEmptyStore', movedTo }]);
    assert.equal(followUpLabel(report.followUps[0]!), 'Start with an empty store');
  });

  it('still offers the recovery when STORE_CORRUPT comes without data', () => {
    const report = describeError({ code: ErrorCode.STORE_CORRUPT, message: 'corrupt' }, 'Ask');
    assert.deepEqual(report.followUps, [{ kind: 'startEmptyStore', movedTo: undefined }]);
  });
});
