// A usage threshold crossed (multicodex/usage/notice) as the editor shows it. The server
// decides when to announce (once, with hysteresis); the client only makes sure one notice
// is shown once, should it arrive again (a server restarted by the editor, say).
import type { UsageNotice } from './protocol';

/** Without the thresholds in force: at or above this one a notice is a warning. */
export const WARNING_THRESHOLD = 90;

export type NoticeLevel = 'warning' | 'information';

/** A warning at the highest threshold in force (usage/notices/get), information below it. */
export function noticeLevel(notice: UsageNotice, thresholds?: readonly number[]): NoticeLevel {
  const highest = thresholds && thresholds.length > 0 ? Math.max(...thresholds) : WARNING_THRESHOLD;
  return notice.threshold >= highest ? 'warning' : 'information';
}

/** "MultiCodex: alice@x.com has used 82% of its 5h window (resets 14:00 UTC)." */
export function noticeText(notice: UsageNotice): string {
  const message = notice.message.trim().replace(/\.$/, '');
  return `MultiCodex: ${message}.`;
}

/** Who, which window, which threshold, in which window period. */
export function noticeId(notice: UsageNotice): string {
  return [notice.scope, notice.account?.key ?? '', notice.window, notice.threshold, notice.resets_at ?? ''].join('|');
}

/** Admits each notice once per editor session. */
export class NoticeOnce {
  private readonly shown = new Set<string>();

  admit(notice: UsageNotice): boolean {
    const id = noticeId(notice);
    if (this.shown.has(id)) {
      return false;
    }
    this.shown.add(id);
    return true;
  }
}
