// Rows of the account picker, one per account, from the server's account list.
import type { AccountInfo, ActiveAccount } from './protocol';
import { freshness, stateIcon, stateText, type TimeContext } from './tooltip';

export interface PickerRow {
  readonly key: string;
  readonly label: string;
  readonly description: string;
  readonly detail: string;
  readonly isActive: boolean;
  readonly needsReauth: boolean;
}

export function pickerRows(
  accounts: readonly AccountInfo[],
  active: ActiveAccount | null,
  time: TimeContext,
): PickerRow[] {
  return accounts.map((account) => ({
    key: account.key,
    label: `${stateIcon(account)} ${account.display_name}`,
    description: account.usage_line,
    detail: rowDetail(account, active, time),
    isActive: account.is_active,
    needsReauth: account.state === 'needs_reauth',
  }));
}

function rowDetail(account: AccountInfo, active: ActiveAccount | null, time: TimeContext): string {
  const parts = [stateText(account, time)];
  if (account.plan) {
    parts.push(account.plan);
  }
  parts.push(`usage ${freshness(account, time)}`);
  if (active && active.key === account.key) {
    parts.push(`chosen: ${active.reason}`);
  }
  return parts.join(' · ');
}

export function pickerTitle(accountCount: number, needsReauth: number): string {
  const accounts = `${accountCount} account${accountCount === 1 ? '' : 's'}`;
  return needsReauth > 0 ? `MultiCodex: ${accounts} · ${needsReauth} need re-auth` : `MultiCodex: ${accounts}`;
}
