import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageNotice } from '../../src/protocol';
import { noticeLevel, NoticeOnce, noticeText } from '../../src/usageNoticeModel';
import { NOW } from './fixtures';

function notice(overrides: Partial<UsageNotice> = {}): UsageNotice {
  return {
    scope: 'account',
    account: { key: 'alice|acct', display_name: 'alice@x.com' },
    window: '5h',
    threshold: 80,
    used_percent: 82,
    resets_at: NOW + 3600,
    message: 'alice@x.com has used 82% of its 5h window (resets 09:00 UTC)',
    ...overrides,
  };
}

describe('usage notices', () => {
  it('are a warning at the highest threshold in force, information below it', () => {
    assert.equal(noticeLevel(notice(), [80, 95]), 'information');
    assert.equal(noticeLevel(notice({ threshold: 95, used_percent: 96 }), [80, 95]), 'warning');
    assert.equal(noticeLevel(notice({ threshold: 80 }), [50, 80]), 'warning');
    assert.equal(noticeLevel(notice({ threshold: 50 }), [50, 80]), 'information');
  });

  it('without the thresholds known, are a warning from 90 %', () => {
    assert.equal(noticeLevel(notice()), 'information');
    assert.equal(noticeLevel(notice({ threshold: 95 }), []), 'warning');
  });

  it("say the server's words as one sentence", () => {
    assert.equal(noticeText(notice()), 'MultiCodex: alice@x.com has used 82% of its 5h window (resets 09:00 UTC).');
    assert.equal(noticeText(notice({ message: 'the pool has used 96% of its weekly window.' })), 'MultiCodex: the pool has used 96% of its weekly window.');
  });

  it('are shown once each: the same notice again is not, another threshold, window, scope or period is', () => {
    const once = new NoticeOnce();
    assert.equal(once.admit(notice()), true);
    assert.equal(once.admit(notice({ used_percent: 83, message: 'again' })), false);
    assert.equal(once.admit(notice({ threshold: 95 })), true);
    assert.equal(once.admit(notice({ window: 'weekly' })), true);
    assert.equal(once.admit(notice({ scope: 'pool', account: null })), true);
    assert.equal(once.admit(notice({ resets_at: NOW + 5 * 3600 })), true);
    assert.equal(once.admit(notice({ account: { key: 'bob|acct', display_name: 'bob' } })), true);
  });
});
