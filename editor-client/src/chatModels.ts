// The pooled chat models VS Code lists: one entry per model at least one account can
// serve, sized from the catalog, with a detail line (the account that would serve next and
// the headroom of the accounts that serve it) and a tooltip. Pure: no vscode import.
import type { AccountInfo, ModelSummary, Status } from './protocol';
import { usedNow } from './usageGlance';

/** What vscode.LanguageModelChatInformation carries (1.104+). */
export interface ChatInformation {
  readonly id: string;
  readonly name: string;
  readonly family: string;
  readonly version: string;
  readonly tooltip?: string;
  readonly detail?: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly capabilities: { readonly imageInput?: boolean; readonly toolCalling?: boolean | number };
}

export function chatInformation(models: readonly ModelSummary[], status: Status | undefined, now: number): ChatInformation[] {
  return models.filter((m) => m.accounts.length > 0).map((m) => toInformation(m, status, now));
}

function toInformation(model: ModelSummary, status: Status | undefined, now: number): ChatInformation {
  return {
    id: model.slug,
    name: model.display_name,
    family: model.slug,
    version: '1',
    detail: detailLine(model, status, now),
    tooltip: tooltip(model),
    maxInputTokens: model.max_input_tokens,
    maxOutputTokens: model.max_output_tokens,
    capabilities: { imageInput: model.supports_images, toolCalling: model.supports_tools },
  };
}

/** "MultiCodex · next: alice · 3 accounts, 71% left". */
export function detailLine(model: ModelSummary, status: Status | undefined, now: number): string {
  const serving = model.accounts.map((ref) => status?.accounts.find((a) => a.key === ref.key));
  const known = serving.filter((a): a is AccountInfo => a !== undefined);
  const next = nextAccount(model, status);
  const parts = ['MultiCodex'];
  if (next) {
    parts.push(`next: ${next}`);
  }
  const count = `${model.accounts.length} account${model.accounts.length === 1 ? '' : 's'}`;
  if (known.length === 0) {
    parts.push(count);
  } else {
    const left = known.reduce((sum, a) => sum + headroom(a, model, now), 0) / known.length;
    parts.push(`${count}, ${Math.round(left)}% left`);
  }
  return parts.join(' · ');
}

/** The active account when it serves this model, else the first one that does. */
function nextAccount(model: ModelSummary, status: Status | undefined): string | undefined {
  const active = status?.active;
  const activeServes = active && model.accounts.some((a) => a.key === active.key);
  return activeServes ? active.display_name : model.accounts[0]?.display_name;
}

/**
 * Percent left of an account's binding window as of `now`, for this model's limit (a
 * model-scoped limit such as Spark's when the model is named after it): 0 while the
 * account cannot serve, 100 when no usage is known.
 */
export function headroom(account: AccountInfo, model: ModelSummary, now: number): number {
  if (account.state === 'needs_reauth' || account.state === 'cooldown' || account.state === 'at_limit') {
    return 0;
  }
  const usage = account.usage;
  if (!usage) {
    return 100;
  }
  const bucket = usage.buckets.find((b) => new RegExp(`\\b${escapeRegExp(b.label)}\\b`, 'i').test(model.display_name));
  const windows = bucket ? [bucket.five_hour, bucket.weekly] : [usage.five_hour, usage.weekly];
  const used = Math.max(0, ...windows.map((w) => (w ? usedNow(w, now) : 0)));
  return Math.max(0, 100 - Math.min(100, used));
}

function tooltip(model: ModelSummary): string {
  const lines = [model.description ?? model.display_name];
  lines.push(`Served by the MultiCodex pool: ${model.accounts.map((a) => a.display_name).join(', ')}.`);
  for (const block of model.unavailable) {
    lines.push(`Not ${block.account.display_name}: ${block.reason}.`);
  }
  return lines.join('\n');
}

/**
 * What the model list depends on besides usage percentages: the accounts, their plans and
 * states, the active account. The list is announced as changed only when this changes.
 */
export function statusSignature(status: Status): string {
  return JSON.stringify([
    status.accounts.map((a) => [a.key, a.plan, a.state, a.display_name]),
    status.active?.key ?? null,
    status.all_exhausted,
  ]);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
