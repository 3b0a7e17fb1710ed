// The tooltip's glance: what binds first, a bar per account for each window (a model's own
// limit, Spark's, on rows of its own), the pool's total per window and its forecast.
// Markdown with theme icons.
import { escapeMarkdown } from './markdown';
import type { AccountInfo, BucketUsage, PoolWindowInfo, Status, UsageMode, UsageWindow } from './protocol';
import { clockTime } from './timeFormat';
import type { TimeContext } from './tooltip';
import { bar, poolAmount, shownPercent, usedNow } from './usageGlance';

export function glanceSection(status: Status, time: TimeContext, mode: UsageMode): string[] {
  const parts: string[] = [];
  const binding = bindingLine(status, time);
  if (binding) {
    parts.push(binding);
  }
  const table = barTable(status, time, mode);
  if (table) {
    parts.push(table);
  }
  parts.push(...status.glance.pool.flatMap((w) => (w.forecast ? [`$(graph) ${escapeMarkdown(w.forecast)}`] : [])));
  return parts;
}

/** "$(flame) weekly binds first for alice: 62% used · resets Thu 10:37". */
function bindingLine(status: Status, time: TimeContext): string | undefined {
  const binding = status.glance.binding;
  if (!binding) {
    return undefined;
  }
  const who = status.active ? ` for ${escapeMarkdown(status.active.display_name)}` : '';
  const reset = binding.resets_at === null
    ? 'reset unknown'
    : `resets ${clockTime(binding.resets_at, time.now, time.timeZone)}`;
  return `$(flame) **${escapeMarkdown(binding.window)}** binds first${who}: ${Math.round(binding.used_percent)}% used · ${reset}`;
}

/** One column per pool window; a row per account, one per model limit, then the pool. */
function barTable(status: Status, time: TimeContext, mode: UsageMode): string | undefined {
  const windows = status.glance.pool;
  if (windows.length === 0) {
    return undefined;
  }
  const names = new Map(status.accounts.map((a) => [a.key, a.display_name]));
  const keys = [...new Set(windows.flatMap((w) => w.shares.map((s) => s.account.key)))];
  const rows = keys.map((key) => {
    const cells = windows.map((w) => {
      const share = w.shares.find((s) => s.account.key === key);
      return share ? barCell(100 * (1 - share.left), mode) : '';
    });
    const name = names.get(key) ?? windows.flatMap((w) => w.shares).find((s) => s.account.key === key)?.account.display_name ?? key;
    return row(escapeMarkdown(name), cells);
  });
  rows.push(...status.accounts.flatMap((account) => bucketRows(account, windows, time, mode)));
  if (windows.some((w) => w.accounts > 1)) {
    rows.push(row('**pool**', windows.map((w) => (w.accounts > 0 ? `**${poolAmount(w, mode)}**` : ''))));
  }
  return [
    row('', windows.map((w) => escapeMarkdown(w.window))),
    `|---|${windows.map(() => '---|').join('')}`,
    ...rows,
  ].join('\n');
}

/** A model's own limit (Spark's) under the columns of the general windows. */
function bucketRows(account: AccountInfo, windows: readonly PoolWindowInfo[], time: TimeContext, mode: UsageMode): string[] {
  return (account.usage?.buckets ?? []).map((bucket) => {
    const cells = windows.map((w, index) => {
      const own = bucketWindow(bucket, w.window, index, windows.length);
      return own ? barCell(usedNow(own, time.now), mode) : '';
    });
    return row(`${escapeMarkdown(account.display_name)} · ${escapeMarkdown(bucket.label)}`, cells);
  });
}

/** The bucket's window for a pool column: by its name, else short first, long last. */
function bucketWindow(bucket: BucketUsage, column: string, index: number, columns: number): UsageWindow | null {
  const names = column.split('/');
  if (names.includes(bucket.five_hour_label)) {
    return bucket.five_hour;
  }
  if (names.includes(bucket.weekly_label)) {
    return bucket.weekly;
  }
  if (index === 0) {
    return bucket.five_hour;
  }
  return index === columns - 1 ? bucket.weekly : null;
}

function barCell(usedPercent: number, mode: UsageMode): string {
  const shown = shownPercent(usedPercent, mode);
  return `${bar(shown)} ${shown}% ${mode}`;
}

function row(label: string, cells: readonly string[]): string {
  return `| ${[label, ...cells].join(' | ')} |`;
}
