// The tooltip's line about the Codex CLI proxy the server runs (multicodex.proxy.enabled):
// where it serves and what it served, or why it does not serve. Markdown with theme icons.
import { escapeMarkdown } from './markdown';
import type { Status } from './protocol';

export function proxySection(status: Status): string[] {
  const proxy = status.proxy;
  if (!proxy) {
    return [];
  }
  if (!proxy.serving) {
    const why = proxy.error ? `: ${escapeMarkdown(proxy.error)}` : '';
    return [`$(debug-disconnect) Codex CLI proxy not serving${why}`];
  }
  const where = proxy.base_url ? new URL(proxy.base_url).host : '127.0.0.1';
  const turns = proxy.turns_served === 1 ? '1 turn' : `${proxy.turns_served} turns`;
  const last = proxy.last_account ? `, last on ${escapeMarkdown(proxy.last_account.display_name)}` : '';
  return [`$(plug) Codex CLI proxy on ${where} · served ${turns}${last}`];
}
