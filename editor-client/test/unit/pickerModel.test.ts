import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickerRows, pickerTitle } from '../../src/pickerModel';
import { account, NOW, status } from './fixtures';

describe('pickerRows', () => {
  it('makes one row per account with the server usage line and the active reason', () => {
    const s = status();
    const rows = pickerRows(s.accounts, s.active, { now: NOW, timeZone: 'UTC' });
    assert.deepEqual(rows.map((r) => r.key), ['alice', 'bob']);
    assert.equal(rows[0]!.label, '$(check) alice');
    assert.equal(rows[0]!.description, '5h 88% left ↺2h13m · weekly 60% left ↺3d0h');
    assert.match(rows[0]!.detail, /chosen: alice: 40% weekly, lowest usage/);
    assert.equal(rows[0]!.isActive, true);
    assert.equal(rows[1]!.label, '$(account) bob');
    assert.doesNotMatch(rows[1]!.detail, /chosen/);
  });

  it('marks accounts that need re-authentication and pinned ones', () => {
    const rows = pickerRows(
      [account({ key: 'c', state: 'needs_reauth' }), account({ key: 'p', is_pinned: true })],
      null,
      { now: NOW },
    );
    assert.equal(rows[0]!.label, '$(key) c');
    assert.equal(rows[0]!.needsReauth, true);
    assert.equal(rows[1]!.label, '$(pinned) p');
  });
});

describe('pickerRows for an account at its limit', () => {
  it('says so and when it ends, never "available"', () => {
    const [row] = pickerRows(
      [account({ key: 'bob', state: 'at_limit', limit_until: NOW + 3600 })],
      null,
      { now: NOW, timeZone: 'UTC' },
    );
    assert.match(row!.detail, /^at its limit until \d\d:\d\d · plus · usage /);
    assert.doesNotMatch(row!.detail, /available/);
  });
});

describe('pickerTitle', () => {
  it('counts accounts and re-auth needs', () => {
    assert.equal(pickerTitle(1, 0), 'MultiCodex: 1 account');
    assert.equal(pickerTitle(3, 2), 'MultiCodex: 3 accounts · 2 need re-auth');
  });
});
