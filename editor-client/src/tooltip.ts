// The footer's hover: every account with its state, both windows in the server's words
// (the footer's units), how fresh the numbers are, and why the active account was chosen.
// Markdown with theme icons.
import { CommandIds } from './commandIds';
import { commandUri, escapeMarkdown } from './markdown';
import type { AccountInfo, Status, UsageMode } from './protocol';
import { ago, clockTime, resetIn } from './timeFormat';
import { glanceSection } from './tooltipGlance';
import { proxySection } from './tooltipProxy';

export interface TimeContext {
  /** Unix seconds. */
  readonly now: number;
  /** IANA zone for wall-clock times; the machine's when undefined. */
  readonly timeZone?: string;
}

export function statusTooltip(status: Status, time: TimeContext, usageMode: UsageMode = 'left'): string {
  const parts: string[] = [header(status), ...poolSummary(status, time)];
  if (status.accounts.length > 0) {
    parts.push(accountTable(status.accounts, time));
  }
  parts.push(...glanceSection(status, time, usageMode));
  parts.push(...proxySection(status));
  parts.push(actionLinks(status));
  return parts.join('\n\n');
}

/** What the pool can do (the footer's state), then the active account and why. */
function poolSummary(status: Status, time: TimeContext): string[] {
  const lines: string[] = [];
  switch (status.footer.state) {
    case 'no_accounts':
      return ['No accounts yet. Add one to start using Codex through MultiCodex.'];
    case 'needs_reauth':
      lines.push('$(key) Every account needs a new login.');
      break;
    case 'exhausted': {
      const next = status.earliest_reset === null
        ? 'no reset time known'
        : `next reset ${resetIn(status.earliest_reset, time.now)} (${clockTime(status.earliest_reset, time.now, time.timeZone)})`;
      lines.push(`$(circle-slash) Every account is exhausted; ${next}.`);
      break;
    }
    default:
      break;
  }
  const active = status.active;
  if (active) {
    lines.push(
      `$(check) **${escapeMarkdown(active.display_name)}** is active` +
        `${active.pinned ? ' (pinned)' : ''}: ${escapeMarkdown(active.reason)}`,
    );
  }
  return lines;
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
      escapeMarkdown(usageCell(account)),
      escapeMarkdown(freshness(account, time)),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [
    '| | Account | State | Usage (↺ resets in) | Usage data |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The account's windows, then each model's own limit (Spark's), its banked resets and the
 * models it cannot serve for now (in the words selection uses when it skips it). */
export function usageCell(account: AccountInfo): string {
  const usage = account.usage;
  const parts = [account.usage_line, ...(usage?.buckets ?? []).map((bucket) => bucket.usage_line)];
  const credits = usage?.reset_credits ?? 0;
  if (credits > 0) {
    parts.push(`${credits} reset credit${credits === 1 ? '' : 's'}`);
  }
  parts.push(...(account.model_blocks ?? []).map((block) => block.reason));
  return parts.join(' · ');
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
    case 'at_limit':
      return '$(circle-slash)';
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
    case 'at_limit': {
      const until = account.limit_until === null
        ? ' (reset unknown)'
        : ` until ${clockTime(account.limit_until, time.now, time.timeZone)}`;
      return `at its limit${until}${account.is_active ? ', active' : ''}${pinned}`;
    }
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
