import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatInformation, detailLine, statusSignature } from '../../src/chatModels';
import type { ModelSummary } from '../../src/protocol';
import { account, NOW, status } from './fixtures';

function model(overrides: Partial<ModelSummary> & { slug: string }): ModelSummary {
  return {
    display_name: overrides.slug.toUpperCase(),
    description: null,
    default_reasoning_effort: 'medium',
    reasoning_efforts: ['low', 'medium', 'high'],
    context_window: 272_000,
    max_input_tokens: 272_000,
    max_output_tokens: 128_000,
    supports_images: true,
    supports_tools: true,
    supports_parallel_tool_calls: true,
    accounts: [{ key: 'alice', display_name: 'alice' }, { key: 'bob', display_name: 'bob' }],
    unavailable: [],
    ...overrides,
  };
}

describe('chatInformation', () => {
  it('lists only models some account can serve, sized and capable as the catalog says', () => {
    const list = chatInformation(
      [
        model({ slug: 'gpt-6-sol', description: 'Frontier', max_input_tokens: 400_000, max_output_tokens: 64_000 }),
        model({ slug: 'text-only', supports_images: false }),
        model({ slug: 'pro-only', accounts: [], unavailable: [{ account: { key: 'alice', display_name: 'alice' }, reason: 'not in the plus plan', until: null }] }),
      ],
      status(),
      NOW,
    );
    assert.deepEqual(list.map((m) => m.id), ['gpt-6-sol', 'text-only']);
    const [sol, textOnly] = list;
    assert.equal(sol?.maxInputTokens, 400_000);
    assert.equal(sol?.maxOutputTokens, 64_000);
    assert.deepEqual(sol?.capabilities, { imageInput: true, toolCalling: true });
    assert.deepEqual(textOnly?.capabilities, { imageInput: false, toolCalling: true });
    assert.match(sol?.tooltip ?? '', /^Frontier\nServed by the MultiCodex pool: alice, bob\.$/);
  });

  it('says in the tooltip which accounts cannot serve the model and why', () => {
    const [spark] = chatInformation(
      [model({ slug: 'spark', accounts: [{ key: 'bob', display_name: 'bob' }], unavailable: [{ account: { key: 'alice', display_name: 'alice' }, reason: 'Spark is not in the plus plan', until: null }] })],
      status(),
      NOW,
    );
    assert.match(spark?.tooltip ?? '', /Not alice: Spark is not in the plus plan\./);
  });
});

describe('detailLine', () => {
  it('names the account that would serve next and the headroom of the serving accounts', () => {
    // alice and bob: weekly 40% used is their binding window, so 60% left each.
    assert.equal(detailLine(model({ slug: 'm' }), status(), NOW), 'MultiCodex · next: alice · 2 accounts, 60% left');
  });

  it('counts an account that cannot serve now as empty, and skips an active account the model cannot use', () => {
    const s = status({ accounts: [account({ key: 'alice', state: 'active', is_active: true }), account({ key: 'bob', state: 'cooldown' })] });
    assert.equal(detailLine(model({ slug: 'm' }), s, NOW), 'MultiCodex · next: alice · 2 accounts, 30% left');
    assert.equal(detailLine(model({ slug: 'm', accounts: [{ key: 'bob', display_name: 'bob' }] }), s, NOW), 'MultiCodex · next: bob · 1 account, 0% left');
  });

  it('reads a model-scoped limit (Spark) for a model named after it, and a passed reset as full', () => {
    const spark = account({ key: 'pro', state: 'active', is_active: true });
    spark.usage!.buckets = [{
      bucket: 'codex_bengalfox', label: 'Spark', limit_name: null, limit_reached: false, usage_line: '',
      five_hour: { used_percent: 90, window_seconds: 18000, resets_at: NOW + 600 }, five_hour_label: '5h',
      weekly: { used_percent: 50, window_seconds: 604800, resets_at: NOW - 1 }, weekly_label: 'weekly',
    }];
    const s = status({ accounts: [spark] });
    const refs = [{ key: 'pro', display_name: 'pro' }];
    assert.equal(detailLine(model({ slug: 'gpt-5.3-codex-spark', display_name: 'GPT-5.3 Codex Spark', accounts: refs }), s, NOW), 'MultiCodex · next: pro · 1 account, 10% left');
    assert.equal(detailLine(model({ slug: 'gpt-6-sol', display_name: 'GPT-6 Sol', accounts: refs }), s, NOW), 'MultiCodex · next: pro · 1 account, 60% left');
  });
});

describe('statusSignature', () => {
  it('ignores usage updates and changes with accounts, plans, states and the active account', () => {
    const base = status();
    const usageTick = status({ revision: 2, accounts: base.accounts.map((a) => ({ ...a, usage_line: 'changed' })) });
    assert.equal(statusSignature(usageTick), statusSignature(base));
    assert.notEqual(statusSignature(status({ accounts: [base.accounts[0]!] })), statusSignature(base));
    assert.notEqual(statusSignature(status({ accounts: base.accounts.map((a) => ({ ...a, plan: 'pro' })) })), statusSignature(base));
    assert.notEqual(statusSignature(status({ active: null })), statusSignature(base));
  });
});
