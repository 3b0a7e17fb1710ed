import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recoveryOutcome, startEmptyPrompt } from '../../src/storeRecoveryModel';

const MOVED = '/home/dev/.config/multicodex/accounts.json.corrupt-20260301T101500Z';

describe('startEmptyPrompt', () => {
  it('names the moved file and says nothing is deleted', () => {
    const prompt = startEmptyPrompt(MOVED);
    assert.equal(prompt.message, 'Start MultiCodex with an empty store?');
    assert.ok(prompt.detail.includes(MOVED));
    assert.ok(prompt.detail.includes('nothing is deleted'));
    assert.equal(prompt.confirm, 'Start with an empty store');
  });

  it('still explains itself when the moved file is not known (run from the palette)', () => {
    const prompt = startEmptyPrompt(undefined);
    assert.ok(prompt.detail.startsWith('An unusable store document stays where MultiCodex moved it'));
    assert.ok(!prompt.detail.includes('undefined'));
  });
});

describe('recoveryOutcome', () => {
  it("shows the server's words, recovered or not", () => {
    const base = {
      action: 'start_empty' as const,
      store_file: '/home/dev/.config/multicodex/accounts.json',
      reason: null,
      foreign_format: null,
      accounts: 0,
    };
    assert.equal(
      recoveryOutcome({
        ...base,
        recovered: true,
        moved_to: MOVED,
        message: `Started with an empty store; the unusable document stays at ${MOVED}.`,
      }),
      `MultiCodex: Started with an empty store; the unusable document stays at ${MOVED}.`,
    );
    assert.equal(
      recoveryOutcome({ ...base, recovered: false, moved_to: null, message: 'Nothing to recover: the store is usable.' }),
      'MultiCodex: Nothing to recover: the store is usable.',
    );
  });
});
