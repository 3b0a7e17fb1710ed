// Human-readable times for the footer tooltip and the picker. `now` is always a parameter
// (unix seconds, like everything on the wire).

/** "45s", "12m", "2h13m", "6d19h": the countdown style of the footer. */
export function countdown(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  if (days > 0) {
    return `${days}d${hours}h`;
  }
  if (hours > 0) {
    return `${hours}h${minutes}m`;
  }
  if (minutes > 0) {
    return `${minutes}m`;
  }
  return `${total % 60}s`;
}

/** "in 2h13m" for a future time, "now" once it has passed, "unknown" without one. */
export function resetIn(resetsAt: number | null | undefined, now: number): string {
  if (resetsAt === null || resetsAt === undefined) {
    return 'unknown';
  }
  const remaining = resetsAt - now;
  return remaining <= 0 ? 'now' : `in ${countdown(remaining)}`;
}

/** "just now", "3 min ago", "2 h ago", "4 d ago". */
export function ago(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 45) {
    return 'just now';
  }
  if (s < 3600) {
    return `${Math.max(1, Math.round(s / 60))} min ago`;
  }
  if (s < 86400) {
    return `${Math.round(s / 3600)} h ago`;
  }
  return `${Math.round(s / 86400)} d ago`;
}

/** Local wall-clock time: "14:05" today, "Tue 09:00" within a week, else "Mar 3 09:00". */
export function clockTime(at: number, now: number, timeZone?: string): string {
  const date = new Date(at * 1000);
  const options: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hour12: false };
  if (timeZone) {
    options.timeZone = timeZone;
  }
  const time = date.toLocaleTimeString('en-GB', options);
  const sameDay = dayKey(at, timeZone) === dayKey(now, timeZone);
  if (sameDay) {
    return time;
  }
  const weekday: Intl.DateTimeFormatOptions = { weekday: 'short' };
  const monthDay: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric' };
  if (timeZone) {
    weekday.timeZone = timeZone;
    monthDay.timeZone = timeZone;
  }
  const prefix = Math.abs(at - now) < 6 * 86400
    ? date.toLocaleDateString('en-US', weekday)
    : date.toLocaleDateString('en-US', monthDay);
  return `${prefix} ${time}`;
}

function dayKey(at: number, timeZone?: string): string {
  const options: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit' };
  if (timeZone) {
    options.timeZone = timeZone;
  }
  return new Date(at * 1000).toLocaleDateString('en-CA', options);
}
