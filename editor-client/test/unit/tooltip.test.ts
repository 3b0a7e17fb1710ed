import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stateText, statusTooltip } from '../../src/tooltip';
import { account, footer, NOW, status } from './fixtures';

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
    assert.equal(rows[0], '| $(check) | alice | active | 5h 88% left ↺2h13m · weekly 60% left ↺3d0h | 2 min ago |');
    assert.match(rows[1]!, /\$\(watch\) \| bob \| cooling down until \d\d:\d\d \(5h limit reached\)/);
    assert.match(rows[1]!, /last fetch failed 1 min ago: HTTP 502/);
    assert.match(rows[2]!, /\$\(key\) \| carol \| needs re-auth: refresh token was already used \| 5h 88% left/);
    assert.match(rows[2]!, / \| not fetched yet \|$/);
  });

  it("shows a Pro account's Spark limit and banked reset credits beside its own windows", () => {
    const base = account({ key: 'pat', plan: 'pro' });
    const spark = {
      bucket: 'codex_bengalfox',
      label: 'Spark',
      limit_name: 'GPT-5.3-Codex-Spark',
      five_hour: { used_percent: 36, window_seconds: 18000, resets_at: NOW + 2 * 3600 },
      five_hour_label: '5h',
      weekly: { used_percent: 12, window_seconds: 604800, resets_at: NOW + 3 * 86400 },
      weekly_label: 'weekly',
      limit_reached: false,
      usage_line: 'Spark 5h 64% left ↺2h0m · Spark weekly 88% left ↺3d0h',
    };
    const pat = {
      ...base,
      usage_line: '5h unknown · weekly 77% left ↺3d0h',
      usage: { ...base.usage!, five_hour: null, buckets: [spark], reset_credits: 2 },
    };
    const md = statusTooltip(status({ accounts: [pat] }), time);
    const row = md.split('\n').find((line) => line.includes('| pat |'));
    assert.ok(row);
    assert.match(
      row,
      /\| 5h unknown · weekly 77% left ↺3d0h · Spark 5h 64% left ↺2h0m · Spark weekly 88% left ↺3d0h · 2 reset credits \|/,
    );
  });

  it('shows the models an account cannot serve for now, in the words selection uses', () => {
    const pat = account({
      key: 'pat',
      plan: 'pro',
      model_blocks: [
        { model: null, bucket: 'codex_bengalfox', reason: 'Spark limit until 14:05 UTC', until: NOW + 3600 },
        { model: 'gpt-6.2', bucket: null, reason: 'gpt-6.2 needs Codex 0.172.0 or newer (MultiCodex sends 0.171.0)', until: null },
      ],
    });
    const md = statusTooltip(status({ accounts: [pat] }), time);
    const row = md.split('\n').find((line) => line.includes('| pat |'));
    assert.ok(row);
    assert.match(
      row,
      /\| 5h 88% left ↺2h13m · weekly 60% left ↺3d0h · Spark limit until 14:05 UTC · gpt-6\.2 needs Codex 0\.172\.0 or newer \(MultiCodex sends 0\.171\.0\) \|/,
    );
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

  it('never calls an account at 100% of a window available: at its limit until the reset', () => {
    const bob = account({
      key: 'bob',
      state: 'at_limit',
      tags: ['at_limit'],
      limit_until: NOW + 42 * 60,
      usage_line: '5h 0% left ↺42m · weekly 37% left ↺3d0h',
    });
    const md = statusTooltip(status({ accounts: [status().accounts[0]!, bob] }), time);
    const row = md.split('\n').find((line) => line.includes('| bob |'));
    assert.ok(row);
    assert.doesNotMatch(row, /available/);
    const at = new Date((NOW + 42 * 60) * 1000).toISOString().slice(11, 16);
    assert.match(row, new RegExp(`\\| \\$\\(circle-slash\\) \\| bob \\| at its limit until ${at} \\| 5h 0% left ↺42m`));
    const unknown = stateText({ ...bob, limit_until: null, is_active: true }, time);
    assert.equal(unknown, 'at its limit (reset unknown), active');
  });

  it('says when every account is exhausted and which one is tried as a last resort', () => {
    const exhausted = status({
      all_exhausted: true,
      earliest_reset: NOW + 3600,
      footer: footer('Codex · all accounts exhausted · next reset in 1h0m', 'error', 'exhausted'),
    });
    const md = statusTooltip(exhausted, time);
    assert.match(md, /Every account is exhausted; next reset in 1h0m \(\d\d:\d\d\)\./);
    assert.match(md, /\*\*alice\*\* is active/);
  });

  it('offers add and import when there are no accounts', () => {
    const md = statusTooltip(status({ no_accounts: true, accounts: [], active: null, footer: footer('Codex · no accounts', 'warning', 'no_accounts') }), time);
    assert.match(md, /command:multicodex\.addAccount/);
    assert.match(md, /command:multicodex\.importAccounts/);
    assert.doesNotMatch(md, /\| Account \|/);
  });
});
