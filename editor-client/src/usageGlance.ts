// The pool at a glance in the editor's words: the binding window with its labelled reset,
// the pool's headroom and per-account bars. Pure: the footer and the tooltip use it.
import type { PoolWindowInfo, Status, UsageMode, UsageWindow } from './protocol';
import { clockTime } from './timeFormat';

const BAR_CELLS = 10;

/** "▰▰▰▰▰▰▱▱▱▱": a percentage as a bar of ten cells (rounded to the nearest cell). */
export function bar(percent: number): string {
  const filled = Math.max(0, Math.min(BAR_CELLS, Math.round(clampPercent(percent) / (100 / BAR_CELLS))));
  return '▰'.repeat(filled) + '▱'.repeat(BAR_CELLS - filled);
}

/** A window's use as of now: 0 once its reset has passed, at most 100. */
export function usedNow(window: UsageWindow, now: number): number {
  if (window.resets_at !== null && window.resets_at <= now) {
    return 0;
  }
  return clampPercent(window.used_percent);
}

/** The percentage shown in the footer's unit: what is left, or what is used. */
export function shownPercent(usedPercent: number, mode: UsageMode): number {
  return Math.round(mode === 'left' ? 100 - clampPercent(usedPercent) : clampPercent(usedPercent));
}

/** "weekly resets Thu 10:37": the active account's binding window and when it resets. */
export function bindingReset(status: Status, now: number, timeZone?: string): string | undefined {
  const binding = status.glance.binding;
  if (!binding || binding.resets_at === null) {
    return undefined;
  }
  return `${binding.window} resets ${clockTime(binding.resets_at, now, timeZone)}`;
}

/** The pool window with least left, when the pool has more than one account in it. */
export function bindingPoolWindow(status: Status): PoolWindowInfo | undefined {
  const name = status.glance.pool_binding;
  const window = status.glance.pool.find((w) => w.window === name);
  return window && window.accounts > 1 ? window : undefined;
}

/** "2.3/3 left" (or "0.7/3 used"): the pool's room in accounts' worth. */
export function poolAmount(window: PoolWindowInfo, mode: UsageMode): string {
  const left = Math.max(0, Math.min(window.accounts, window.left));
  const amount = mode === 'left' ? left : window.accounts - left;
  return `${oneDecimal(amount)}/${window.accounts} ${mode}`;
}

/** "pool 5h 2.3/3 left": the pool's binding window in the footer's word order
 * (window, amount, unit), so it reads like the account's "5h 88% left" beside it. */
export function poolPhrase(window: PoolWindowInfo, mode: UsageMode): string {
  return `pool ${window.window} ${poolAmount(window, mode)}`;
}

function oneDecimal(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(1);
}

function clampPercent(value: number): number {
  return Math.max(0, Math.min(100, value));
}
