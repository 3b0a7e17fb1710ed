import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { footerView } from '../../src/footerView';
import type { FooterLine, FooterSettings, PoolWindowInfo, Status, UsageGlance } from '../../src/protocol';
import { statusTooltip } from '../../src/tooltip';
import { bar, poolPhrase } from '../../src/usageGlance';
import { account, footer, NOW, status } from './fixtures';

const running = { kind: 'running' } as const;
const time = { now: NOW, timeZone: 'UTC' };
const SETTINGS: FooterSettings = {
  usage_mode: 'left',
  reset_window: 'binding',
  show_account: true,
  show_reset: true,
  order: 'account-first',
  compact: false,
};
/** Tue 2027-01-19 10:37 UTC, four days after NOW (Fri 08:00 UTC). */
const WEEKLY_RESET = Date.UTC(2027, 0, 19, 10, 37) / 1000;

function poolWindow(name: string, lefts: Record<string, number>, forecast: string | null = null): PoolWindowInfo {
  const shares = Object.entries(lefts).map(([key, left]) => ({ account: { key, display_name: key }, left, resets_at: null }));
  const left = shares.reduce((sum, s) => sum + s.left, 0);
  return { window: name, left, accounts: shares.length, text: `pool ${left.toFixed(1)}/${shares.length} left · ${name}`, shares, forecast };
}

/** A serving footer in the server's segments: fields between ' · ' separators. */
function served(...fields: string[]): FooterLine {
  const segments = fields.flatMap((text, i) => [
    ...(i > 0 ? [{ text: ' · ', role: 'separator' as const, severity: null }] : []),
    { text, role: i === 0 ? ('brand' as const) : /%|unknown/.test(text) ? ('usage' as const) : ('account' as const), severity: null },
  ]);
  return { text: fields.join(' · '), segments, severity: 'success', state: 'serving' };
}

function glanced(glance: Partial<UsageGlance>, overrides: Partial<Status> = {}): Status {
  return status({
    footer: served('Codex', 'alice', '5h 88% left', 'weekly 60% left ↺4d2h'),
    glance: {
      binding: { bucket: 'codex', window: 'weekly', used_percent: 62, resets_at: WEEKLY_RESET, label: 'weekly · resets Tue 10:37 UTC' },
      pool: [poolWindow('5h', { alice: 0.88, bob: 0.6, carol: 0.8 }), poolWindow('weekly', { alice: 0.38, bob: 0.9, carol: 1 })],
      pool_binding: 'weekly',
      text: null,
      ...glance,
    },
    ...overrides,
  });
}

describe('the footer glance', () => {
  it("puts the binding window's reset time beside its countdown, then the pool, in the footer words", () => {
    const view = footerView(glanced({}), running, time, { settings: SETTINGS, showPool: true });
    assert.equal(view.text, '$(pulse) Codex · alice · 5h 88% left · weekly 60% left ↺4d2h (Tue 10:37) · pool weekly 2.3/3 left');
    assert.equal(view.accessibilityLabel, `MultiCodex: ${view.text.replace('$(pulse) ', '')}`);
  });

  it("names a model's own binding window, which the footer does not show, with its reset", () => {
    const binding = { bucket: 'codex_bengalfox', window: 'Spark 5h', used_percent: 90, resets_at: NOW + 3600, label: '' };
    const view = footerView(glanced({ binding }), running, time, { settings: SETTINGS, showPool: false });
    assert.equal(view.text, '$(pulse) Codex · alice · 5h 88% left · weekly 60% left ↺4d2h · Spark 5h resets 09:00');
  });

  it('before the settings are known, reads as with the defaults', () => {
    const view = footerView(glanced({}), running, time);
    assert.match(view.text, /↺4d2h \(Tue 10:37\) · pool weekly 2\.3\/3 left$/);
  });

  it('keeps the compact footer as the server made it', () => {
    const compact = glanced({}, { footer: footer('Codex alice 5h 88% left ↺2h13m') });
    const view = footerView(compact, running, time, { settings: { ...SETTINGS, compact: true }, showPool: true });
    assert.equal(view.text, '$(pulse) Codex alice 5h 88% left ↺2h13m');
  });

  it('names the reset only when the countdown follows the binding window and resets are shown', () => {
    for (const settings of [{ ...SETTINGS, reset_window: '5h' as const }, { ...SETTINGS, show_reset: false }]) {
      const view = footerView(glanced({}), running, time, { settings, showPool: true });
      assert.doesNotMatch(view.text, /resets|Tue/);
      assert.match(view.text, / · pool weekly 2\.3\/3 left$/);
    }
  });

  it('shows the pool in the footer unit, and not when turned off or with one account', () => {
    const used = footerView(glanced({}), running, time, { settings: { ...SETTINGS, usage_mode: 'used' }, showPool: true });
    assert.match(used.text, / · pool weekly 0\.7\/3 used$/);
    const off = footerView(glanced({}), running, time, { settings: SETTINGS, showPool: false });
    assert.match(off.text, /↺4d2h \(Tue 10:37\)$/);
    const single = glanced({ pool: [poolWindow('weekly', { alice: 0.38 })] });
    assert.match(footerView(single, running, time, { settings: SETTINGS, showPool: true }).text, /↺4d2h \(Tue 10:37\)$/);
  });

  it('adds nothing to an exhausted or loading footer', () => {
    for (const state of ['exhausted', 'loading'] as const) {
      const text = 'Codex · all accounts exhausted · next reset in 4h59m';
      const view = footerView(glanced({}, { footer: footer(text, 'error', state) }), running, time, { settings: SETTINGS, showPool: true });
      assert.ok(view.text.endsWith(` ${text}`), view.text);
    }
  });

  it('words a whole number of accounts without a decimal', () => {
    assert.equal(poolPhrase(poolWindow('5h', { a: 1, b: 1 }), 'left'), 'pool 5h 2/2 left');
  });
});

describe('the tooltip glance', () => {
  it('says what binds first, with a bar per account and window, the pool total and the forecast', () => {
    const forecast = 'at this pace the pool runs out around 16:40 UTC (16:20 to 17:05 UTC), 55m before the next 5h reset';
    const s = glanced({
      pool: [poolWindow('5h', { alice: 0.88, bob: 0.6 }, forecast), poolWindow('weekly', { alice: 0.38, bob: 0.9 })],
    });
    const md = statusTooltip(s, time);
    assert.match(md, /\$\(flame\) \*\*weekly\*\* binds first for alice: 62% used · resets Tue 10:37/);
    const lines = md.split('\n');
    assert.ok(lines.includes('|  | 5h | weekly |'), md);
    assert.ok(lines.includes('| alice | ▰▰▰▰▰▰▰▰▰▱ 88% left | ▰▰▰▰▱▱▱▱▱▱ 38% left |'), md);
    assert.ok(lines.includes('| bob | ▰▰▰▰▰▰▱▱▱▱ 60% left | ▰▰▰▰▰▰▰▰▰▱ 90% left |'), md);
    assert.ok(lines.includes('| **pool** | **1.5/2 left** | **1.3/2 left** |'), md);
    assert.ok(md.includes(`$(graph) ${forecast}`), md);
  });

  it('follows the footer unit', () => {
    const md = statusTooltip(glanced({}), time, 'used');
    assert.ok(md.includes('| alice | ▰▱▱▱▱▱▱▱▱▱ 12% used | ▰▰▰▰▰▰▱▱▱▱ 62% used |'), md);
    assert.ok(md.includes('| **pool** | **0.7/3 used** | **0.7/3 used** |'), md);
  });

  it("shows a model's own limit (Spark) on a row of its own, under the matching windows", () => {
    const base = account({ key: 'alice', state: 'active', is_active: true });
    const spark = {
      bucket: 'codex_bengalfox',
      label: 'Spark',
      limit_name: null,
      five_hour: { used_percent: 36, window_seconds: 18000, resets_at: NOW + 3600 },
      five_hour_label: '5h',
      weekly: { used_percent: 12, window_seconds: 604800, resets_at: NOW - 60 },
      weekly_label: 'weekly',
      limit_reached: false,
      usage_line: '',
    };
    const alice = { ...base, usage: { ...base.usage!, buckets: [spark] } };
    const md = statusTooltip(glanced({}, { accounts: [alice, account({ key: 'bob' })] }), time);
    // The weekly Spark window has reset since: as of now it is unused.
    assert.ok(md.includes('| alice · Spark | ▰▰▰▰▰▰▱▱▱▱ 64% left | ▰▰▰▰▰▰▰▰▰▰ 100% left |'), md);
  });

  it('adds nothing before any usage is known', () => {
    const md = statusTooltip(status(), time);
    assert.doesNotMatch(md, /binds first|▰|\*\*pool\*\*/);
  });

  it('draws bars to the nearest tenth', () => {
    assert.equal(bar(0), '▱▱▱▱▱▱▱▱▱▱');
    assert.equal(bar(64), '▰▰▰▰▰▰▱▱▱▱');
    assert.equal(bar(100), '▰▰▰▰▰▰▰▰▰▰');
    assert.equal(bar(140), '▰▰▰▰▰▰▰▰▰▰');
  });
});
