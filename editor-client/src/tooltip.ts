// The footer's hover: every account with its state, both windows, reset times and how
// fresh the numbers are, and why the active account was chosen. Markdown with theme icons.
import { CommandIds } from './commandIds';
import { commandUri, escapeMarkdown } from './markdown';
import type { AccountInfo, Status, UsageWindow } from './protocol';
import { ago, clockTime, resetIn } from './timeFormat';

export interface TimeContext {
  /** Unix seconds. */
  readonly now: number;
  /** IANA zone for wall-clock times; the machine's when undefined. */
  readonly timeZone?: string;
}

export function statusTooltip(status: Status, time: TimeContext): string {
  const parts: string[] = [header(status)];
  if (status.active) {
    const active = status.active;
    parts.push(
      `$(check) **${escapeMarkdown(active.display_name)}** is active` +
        `${active.pinned ? ' (pinned)' : ''}: ${escapeMarkdown(active.reason)}`,
    );
  } else if (status.no_accounts) {
    parts.push('No accounts yet. Add one to start using Codex through MultiCodex.');
  } else if (status.all_exhausted) {
    const next = status.earliest_reset === null
      ? 'no reset time known'
      : `next reset ${resetIn(status.earliest_reset, time.now)} (${clockTime(status.earliest_reset, time.now, time.timeZone)})`;
    parts.push(`$(circle-slash) Every account is exhausted; ${next}.`);
  } else {
    parts.push('$(warning) No account can serve a request right now.');
  }
  if (status.accounts.length > 0) {
    parts.push(accountTable(status.accounts, time));
  }
  parts.push(actionLinks(status));
  return parts.join('\n\n');
}

function header(status: Status): string {
  const count = status.accounts.length;
  const accounts = `${count} account${count === 1 ? '' : 's'}`;
  const reauth = status.needs_reauth.length > 0 ? ` · ${status.needs_reauth.length} need re-auth` : '';
  const stale = status.stale ? ' · usage may be out of date' : '';
  return `**MultiCodex** · ${accounts}${reauth}${stale}`;
}

function accountTable(accounts: readonly AccountInfo[], time: TimeContext): string {
  const rows = accounts.map((account) => {
    const cells = [
      stateIcon(account),
      escapeMarkdown(account.display_name),
      escapeMarkdown(stateText(account, time)),
      windowCell(account.usage?.five_hour ?? null, time),
      windowCell(account.usage?.weekly ?? null, time),
      escapeMarkdown(freshness(account, time)),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [
    '| | Account | State | 5h used | Weekly used | Usage data |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export function stateIcon(account: AccountInfo): string {
  if (account.is_active) {
    return '$(check)';
  }
  switch (account.state) {
    case 'needs_reauth':
      return '$(key)';
    case 'cooldown':
      return '$(watch)';
    default:
      return account.is_pinned ? '$(pinned)' : '$(account)';
  }
}

export function stateText(account: AccountInfo, time: TimeContext): string {
  const pinned = account.is_pinned ? ', pinned' : '';
  switch (account.state) {
    case 'active':
      return `active${pinned}`;
    case 'available':
      return `available${pinned}`;
    case 'needs_reauth':
      return `needs re-auth${account.reauth_reason ? `: ${account.reauth_reason}` : ''}`;
    case 'cooldown': {
      const until = account.cooldown_until === null
        ? ''
        : ` until ${clockTime(account.cooldown_until, time.now, time.timeZone)}`;
      return `cooling down${until}${account.cooldown_reason ? ` (${account.cooldown_reason})` : ''}`;
    }
  }
}

function windowCell(window: UsageWindow | null, time: TimeContext): string {
  if (!window) {
    return '—';
  }
  const percent = `${Math.round(window.used_percent)}%`;
  if (window.resets_at === null) {
    return percent;
  }
  const at = clockTime(window.resets_at, time.now, time.timeZone);
  return `${percent}, resets ${resetIn(window.resets_at, time.now)} (${escapeMarkdown(at)})`;
}

export function freshness(account: AccountInfo, time: TimeContext): string {
  const usage = account.usage;
  const failed = account.usage_error
    ? `last fetch failed${account.usage_error_at === null ? '' : ` ${ago(time.now - account.usage_error_at)}`}: ${account.usage_error}`
    : '';
  if (!usage) {
    return failed || 'not fetched yet';
  }
  const age = ago(usage.age_seconds);
  const fresh = usage.stale ? `stale (${age})` : age;
  return failed ? `${fresh}; ${failed}` : fresh;
}

function actionLinks(status: Status): string {
  const links: string[] = [];
  if (status.no_accounts) {
    links.push(`[$(add) Add account](${commandUri(CommandIds.addAccount)})`);
    links.push(`[$(cloud-download) Import accounts](${commandUri(CommandIds.importAccounts)})`);
  } else {
    links.push(`[$(list-selection) Switch account](${commandUri(CommandIds.accounts)})`);
    links.push(`[$(refresh) Refresh all](${commandUri(CommandIds.refreshAll)})`);
    links.push(`[$(add) Add account](${commandUri(CommandIds.addAccount)})`);
  }
  for (const account of status.needs_reauth) {
    links.push(
      `[$(key) Re-authenticate ${escapeMarkdown(account.display_name)}](${commandUri(CommandIds.reauth, [account.key])})`,
    );
  }
  return links.join(' · ');
}
