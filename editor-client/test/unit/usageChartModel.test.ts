import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageHistoryResult, UsageObservation } from '../../src/protocol';
import { isChartRequest, usageChart } from '../../src/usageChartModel';
import { NOW } from './fixtures';

const HOUR = 3600;

function seen(account: string, minutesAgo: number, used: number, overrides: Partial<UsageObservation> = {}): UsageObservation {
  return {
    at: NOW - minutesAgo * 60,
    account,
    bucket: 'codex',
    window: '5h',
    window_seconds: 5 * HOUR,
    used_percent: used,
    resets_at: NOW + 2 * HOUR,
    source: 'endpoint',
    ...overrides,
  };
}

function history(observations: UsageObservation[], forecasts: string[] = []): UsageHistoryResult {
  return {
    since: NOW - 24 * HOUR,
    observations,
    accounts: [
      { key: 'alice', display_name: 'alice@x.com' },
      { key: 'bob', display_name: 'bob@x.com' },
    ],
    forecasts,
  };
}

describe('usageChart', () => {
  it('draws a panel per limit and window, general first and short first, a line per account', () => {
    const chart = usageChart(
      history([
        seen('bob', 50, 10, { bucket: 'codex_bengalfox' }),
        seen('alice', 60, 30, { window: 'weekly', window_seconds: 7 * 24 * HOUR, resets_at: NOW + 3 * 24 * HOUR }),
        seen('bob', 60, 20),
        seen('alice', 40, 10),
      ]),
      NOW,
      { codex_bengalfox: 'Spark' },
    );
    assert.deepEqual(chart.panels.map((p) => p.title), ['5h', 'weekly', 'Spark 5h']);
    const fiveHour = chart.panels[0]!;
    assert.deepEqual(fiveHour.xs, [NOW - 60 * 60, NOW - 40 * 60]);
    assert.deepEqual(fiveHour.series.map((s) => [s.label, s.colorIndex, s.values]), [
      ['alice@x.com', 0, [null, 10]],
      ['bob@x.com', 1, [20, null]],
    ]);
  });

  it('drops a line to 0 at a reset between two observations', () => {
    const reset = NOW - 2 * HOUR;
    const chart = usageChart(history([
      seen('alice', 4 * 60, 70, { resets_at: reset }),
      seen('alice', 60, 5, { resets_at: reset + 5 * HOUR }),
    ]), NOW);
    const panel = chart.panels[0]!;
    assert.deepEqual(panel.xs, [NOW - 4 * HOUR, reset - 1, reset, NOW - HOUR]);
    assert.deepEqual(panel.series[0]!.values, [70, 70, 0, 5]);
  });

  it('projects a rising line dashed at its recent pace, up to 100 % and no further than the reset', () => {
    // 10 points per 30 min: from 60 % at NOW - 30 min, 100 % is reached at NOW + 90 min...
    const rising = usageChart(history([seen('alice', 60, 50), seen('alice', 30, 60)]), NOW);
    const projection = rising.panels[0]!.series.find((s) => s.projection)!;
    assert.equal(projection.label, 'alice@x.com (at this pace)');
    assert.equal(projection.colorIndex, 0);
    const points = rising.panels[0]!.xs.map((x, i) => [x, projection.values[i]]).filter(([, v]) => v !== null);
    // ... but the projection stops at the horizon: the pace's stretch (1 h of a 5 h window).
    assert.deepEqual(points, [[NOW - 30 * 60, 60], [NOW + HOUR, 90]]);
    // A reset 15 minutes ahead ends it there.
    const resetting = usageChart(history([seen('alice', 60, 50, { resets_at: NOW + 900 }), seen('alice', 30, 60, { resets_at: NOW + 900 })]), NOW);
    assert.equal(resetting.panels[0]!.xs.at(-1), NOW + 900);
    assert.equal(resetting.panels[0]!.series[1]!.values.at(-1), 75);
  });

  it('projects nothing for a flat line, a single observation or a window reset since', () => {
    for (const rows of [
      [seen('alice', 60, 40), seen('alice', 30, 40)],
      [seen('alice', 30, 40)],
      [seen('alice', 60, 50, { resets_at: NOW - 60 }), seen('alice', 30, 60, { resets_at: NOW - 60 })],
    ]) {
      assert.ok(usageChart(history(rows), NOW).panels[0]!.series.every((s) => !s.projection));
    }
  });

  it('passes the forecasts on and has no panel without observations', () => {
    const chart = usageChart(history([], ['5h: not enough history for a forecast yet']), NOW);
    assert.deepEqual(chart.panels, []);
    assert.deepEqual(chart.forecasts, ['5h: not enough history for a forecast yet']);
  });

  it('accepts only the messages the webview sends', () => {
    assert.ok(isChartRequest({ type: 'ready' }));
    assert.ok(isChartRequest({ type: 'span', hours: 168 }));
    assert.ok(!isChartRequest({ type: 'span', hours: 5 }));
    assert.ok(!isChartRequest({ type: 'eval' }));
    assert.ok(!isChartRequest(undefined));
  });
});
