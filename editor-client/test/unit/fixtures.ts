// Builders for wire shapes used by the unit tests.
import type { AccountInfo, FooterLine, Status } from '../../src/protocol';

export const NOW = 1_800_000_000;

export function account(overrides: Partial<AccountInfo> & { key: string }): AccountInfo {
  return {
    display_name: overrides.key,
    email: `${overrides.key}@example.test`,
    plan: 'plus',
    label: null,
    account_id: `acct-${overrides.key}`,
    state: 'available',
    tags: [],
    is_active: false,
    is_pinned: false,
    cooldown_until: null,
    cooldown_reason: null,
    limit_until: null,
    reauth_reason: null,
    usage: {
      plan_type: 'plus',
      five_hour: { used_percent: 12, window_seconds: 18000, resets_at: NOW + 2 * 3600 + 13 * 60 },
      five_hour_label: '5h',
      weekly: { used_percent: 40, window_seconds: 604800, resets_at: NOW + 3 * 86400 },
      weekly_label: 'weekly',
      limit_reached: false,
      buckets: [],
      reset_credits: null,
      fetched_at: NOW - 120,
      age_seconds: 120,
      stale: false,
      source: 'endpoint',
    },
    usage_error: null,
    usage_error_at: null,
    source: { kind: 'login', path: null, linked: false },
    added_at: NOW - 86400,
    last_used_at: null,
    status_line: `${overrides.key} - 5h 88% left ↺2h13m · weekly 60% left ↺3d0h`,
    usage_line: '5h 88% left ↺2h13m · weekly 60% left ↺3d0h',
    model_blocks: [],
    ...overrides,
  };
}

export function footer(
  text: string,
  severity: FooterLine['severity'] = 'success',
  state: FooterLine['state'] = 'serving',
): FooterLine {
  return { text, segments: [{ text, role: 'usage', severity }], severity, state };
}

export function status(overrides: Partial<Status> = {}): Status {
  const alice = account({ key: 'alice', state: 'active', is_active: true, tags: ['active'] });
  const bob = account({ key: 'bob' });
  return {
    revision: 1,
    active: {
      key: 'alice',
      display_name: 'alice',
      reason: 'alice: 40% weekly, lowest usage',
      rule: 'lowest_usage',
      strategy: 'default',
      pinned: false,
    },
    footer: footer('Codex · alice · 5h 88% left ↺2h13m · weekly 60% left'),
    accounts: [alice, bob],
    needs_reauth: [],
    no_accounts: false,
    all_exhausted: false,
    earliest_reset: null,
    stale: false,
    updated_at: NOW,
    glance: { binding: null, pool: [], pool_binding: null, text: null },
    proxy: null,
    ...overrides,
  };
}
