// What the usage chart draws, from multicodex/usage/history: one panel per limit and
// window (5h, weekly, Spark 5h, ...), a line per account of its use over time (falling to 0
// at each reset) and, dashed, where the recent pace takes it before the reset. Pure; the
// webview only draws these series (x: unix seconds, y: percent used).
import type { UsageHistoryResult, UsageObservation } from './protocol';

export const GENERAL_BUCKET = 'codex';
/** The pace is the rise over this share of the window (at least MIN_STRETCH_SECONDS). */
const STRETCH_SHARE = 5;
const MIN_STRETCH_SECONDS = 1800;
const MIN_PROJECTION_SECONDS = 1800;

export interface ChartSeries {
  readonly label: string;
  /** The account's place in the history's accounts: the same colour in every panel. */
  readonly colorIndex: number;
  /** A dashed projection at the recent pace rather than observations. */
  readonly projection: boolean;
  /** One per xs entry; null where the series has no point. */
  readonly values: (number | null)[];
}

export interface ChartPanel {
  readonly title: string;
  readonly xs: number[];
  readonly series: ChartSeries[];
}

export interface UsageChartData {
  readonly since: number;
  readonly now: number;
  readonly panels: ChartPanel[];
  /** The pool's forecasts in words (the server's). */
  readonly forecasts: string[];
}

interface Point {
  readonly at: number;
  readonly used: number;
}

interface Line {
  readonly label: string;
  readonly colorIndex: number;
  readonly projection: boolean;
  readonly points: Point[];
}

/** `bucketLabels` names model limits ('codex_bengalfox' → 'Spark'); unknown ids show as sent. */
export function usageChart(
  history: UsageHistoryResult,
  now: number,
  bucketLabels: Readonly<Record<string, string>> = {},
): UsageChartData {
  const names = new Map(history.accounts.map((a) => [a.key, a.display_name]));
  const order = [...new Set([...history.accounts.map((a) => a.key), ...history.observations.map((o) => o.account)])];
  const span = Math.max(3600, now - history.since);
  const panels = [...groupBy(history.observations, (o) => `${o.bucket}\u0000${o.window}`).values()]
    .sort(panelOrder)
    .map((observations) => {
      const first = observations[0] as UsageObservation;
      const lines = [...groupBy(observations, (o) => o.account).entries()]
        .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
        .flatMap(([key, rows]) => accountLines(names.get(key) ?? key, order.indexOf(key), rows, now, span));
      return aligned(panelTitle(first, bucketLabels), lines);
    });
  return { since: history.since, now, panels, forecasts: history.forecasts };
}

/** The observed use, with a drop to 0 at each reset seen, then the projection if rising. */
export function accountLines(label: string, colorIndex: number, rows: readonly UsageObservation[], now: number, span: number): Line[] {
  const sorted = [...rows].sort((a, b) => a.at - b.at);
  const points: Point[] = [];
  let previous: UsageObservation | undefined;
  for (const row of sorted) {
    if (previous && resetBetween(previous, row.at)) {
      points.push({ at: (previous.resets_at as number) - 1, used: clamp(previous.used_percent) });
      points.push({ at: previous.resets_at as number, used: 0 });
    }
    points.push({ at: row.at, used: clamp(row.used_percent) });
    previous = row;
  }
  const lines: Line[] = [{ label, colorIndex, projection: false, points: dedupe(points) }];
  const projection = previous ? project(sorted, now, span) : undefined;
  if (projection) {
    lines.push({ label: `${label} (at this pace)`, colorIndex, projection: true, points: projection });
  }
  return lines;
}

/** From the last observation, the rise over the recent stretch carried on until the reset,
 * 100 % or the horizon (a third of the span shown, the stretch at most). */
export function project(sorted: readonly UsageObservation[], now: number, span: number): Point[] | undefined {
  const last = sorted.at(-1);
  if (!last || (last.resets_at !== null && last.resets_at <= now)) {
    return undefined;
  }
  const stretch = Math.max(MIN_STRETCH_SECONDS, last.window_seconds / STRETCH_SHARE);
  const recent = sorted.filter((o) => o.at >= last.at - stretch && o.resets_at === last.resets_at);
  const first = recent[0];
  if (!first || last.at <= first.at || last.used_percent <= first.used_percent) {
    return undefined;
  }
  const rate = (last.used_percent - first.used_percent) / (last.at - first.at);
  const used = clamp(last.used_percent);
  const horizon = Math.max(MIN_PROJECTION_SECONDS, Math.min(stretch, span / 3));
  const end = Math.min(last.resets_at ?? Infinity, last.at + (100 - used) / rate, Math.max(now, last.at) + horizon);
  if (end <= last.at) {
    return undefined;
  }
  return [
    { at: last.at, used },
    { at: Math.round(end), used: clamp(used + rate * (end - last.at)) },
  ];
}

function aligned(title: string, lines: readonly Line[]): ChartPanel {
  const xs = [...new Set(lines.flatMap((l) => l.points.map((p) => p.at)))].sort((a, b) => a - b);
  const series = lines.map((line) => {
    const byTime = new Map(line.points.map((p) => [p.at, p.used]));
    return {
      label: line.label,
      colorIndex: line.colorIndex,
      projection: line.projection,
      values: xs.map((x) => byTime.get(x) ?? null),
    };
  });
  return { title, xs, series };
}

function panelTitle(observation: UsageObservation, bucketLabels: Readonly<Record<string, string>>): string {
  if (observation.bucket === GENERAL_BUCKET) {
    return observation.window;
  }
  return `${bucketLabels[observation.bucket] ?? observation.bucket} ${observation.window}`;
}

/** The general limit first, then model limits; short windows first. */
function panelOrder(a: UsageObservation[], b: UsageObservation[]): number {
  const [x, y] = [a[0] as UsageObservation, b[0] as UsageObservation];
  const general = Number(y.bucket === GENERAL_BUCKET) - Number(x.bucket === GENERAL_BUCKET);
  return general || x.bucket.localeCompare(y.bucket) || x.window_seconds - y.window_seconds;
}

function resetBetween(previous: UsageObservation, at: number): boolean {
  return previous.resets_at !== null && previous.resets_at > previous.at && previous.resets_at <= at;
}

function dedupe(points: readonly Point[]): Point[] {
  const byTime = new Map<number, Point>();
  for (const point of points) {
    byTime.set(point.at, point);
  }
  return [...byTime.values()];
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

function clamp(percent: number): number {
  return Math.max(0, Math.min(100, percent));
}

/** The spans the chart offers, in hours; the first is the default. */
export const CHART_SPANS_HOURS: readonly number[] = [24, 24 * 7, 24 * 35];

/** Extension → webview. */
export type ChartUpdate =
  | { readonly type: 'data'; readonly chart: UsageChartData; readonly spanHours: number }
  | { readonly type: 'error'; readonly message: string; readonly spanHours: number };

/** Webview → extension: it is ready for data, or wants another span. */
export type ChartRequest = { readonly type: 'ready' } | { readonly type: 'span'; readonly hours: number };

export function isChartRequest(value: unknown): value is ChartRequest {
  const message = value as { type?: unknown; hours?: unknown } | undefined;
  return message?.type === 'ready' || (message?.type === 'span' && CHART_SPANS_HOURS.includes(message.hours as number));
}
