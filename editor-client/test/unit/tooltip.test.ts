import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusTooltip } from '../../src/tooltip';
import { account, NOW, status } from './fixtures';

const time = { now: NOW, timeZone: 'UTC' };

describe('statusTooltip', () => {
  it('lists every account with state, both windows, reset times and freshness', () => {
    const bob = account({
      key: 'bob',
      state: 'cooldown',
      cooldown_until: NOW + 3600,
      cooldown_reason: '5h limit reached',
      usage_error: 'HTTP 502',
      usage_error_at: NOW - 60,
    });
    const carol = account({ key: 'carol', state: 'needs_reauth', reauth_reason: 'refresh token was already used', usage: null });
    const md = statusTooltip(status({ accounts: [status().accounts[0]!, bob, carol] }), time);
    const rows = md.split('\n').filter((line) => line.startsWith('| $('));
    assert.equal(rows.length, 3);
    assert.match(rows[0]!, /^\| \$\(check\) \| alice \| active \| 12%, resets in 2h13m \(\d\d:\d\d\) \| 40%, resets in 3d0h \(\w{3} \d\d:\d\d\) \| 2 min ago \|$/);
    assert.match(rows[1]!, /\$\(watch\) \| bob \| cooling down until \d\d:\d\d \(5h limit reached\)/);
    assert.match(rows[1]!, /last fetch failed 1 min ago: HTTP 502/);
    assert.match(rows[2]!, /\$\(key\) \| carol \| needs re-auth: refresh token was already used \| — \| — \| not fetched yet \|/);
  });

  it('says why the active account was chosen', () => {
    const md = statusTooltip(status(), time);
    assert.match(md, /\*\*alice\*\* is active: alice: 40% weekly, lowest usage/);
  });

  it('marks stale usage', () => {
    const stale = account({ key: 'alice', is_active: true, state: 'active' });
    const md = statusTooltip(status({ stale: true, accounts: [{ ...stale, usage: { ...stale.usage!, stale: true, age_seconds: 900 } }] }), time);
    assert.match(md, /usage may be out of date/);
    assert.match(md, /stale \(15 min ago\)/);
  });

  it('escapes table-breaking characters in names', () => {
    const md = statusTooltip(status({ accounts: [account({ key: 'x', display_name: 'a|b*c' })] }), time);
    assert.match(md, /a\\\|b\\\*c/);
  });

  it('offers add and import when there are no accounts', () => {
    const md = statusTooltip(status({ no_accounts: true, accounts: [], active: null }), time);
    assert.match(md, /command:multicodex\.addAccount/);
    assert.match(md, /command:multicodex\.importAccounts/);
    assert.doesNotMatch(md, /\| Account \|/);
  });
});
