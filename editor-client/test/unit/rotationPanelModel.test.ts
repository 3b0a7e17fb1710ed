import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RotationInfo } from '../../src/protocol';
import { choicesFor, editKind, parseNumber, patchFor, rotationRows } from '../../src/rotationPanelModel';

const info: RotationInfo = {
  policy: {
    strategy: 'drain-first',
    retry_limit: 5,
    fallback_cooldown_seconds: 3600,
    sticky: true,
    first_output_timeout_seconds: 20,
    stall_timeout_seconds: 120,
    when_exhausted: 'reset-credit',
    reset_credit_confirm: 'ask',
  },
  strategies: [
    { name: 'default', description: 'untouched accounts first, then the lowest usage' },
    { name: 'drain-first', description: 'use the most used account that still has headroom' },
    { name: 'lab-only', description: 'a strategy this client has never heard of' },
  ],
  description: ['Current policy: …'],
};

describe('rotationRows', () => {
  it('shows every field of the policy with the value in force', () => {
    const rows = rotationRows(info);
    assert.deepEqual(rows.map((r) => r.field).sort(), Object.keys(info.policy).sort());
    assert.deepEqual(
      Object.fromEntries(rows.map((r) => [r.field, r.value])),
      {
        strategy: 'drain-first',
        retry_limit: '5',
        fallback_cooldown_seconds: '3600 s',
        sticky: 'on',
        first_output_timeout_seconds: '20 s',
        stall_timeout_seconds: '120 s',
        when_exhausted: 'reset-credit',
        reset_credit_confirm: 'ask',
      },
    );
  });

  it('describes the strategy in force and lists the strategies the server offers', () => {
    const strategy = rotationRows(info).find((r) => r.field === 'strategy');
    assert.equal(strategy?.detail, 'use the most used account that still has headroom (default / drain-first / lab-only)');
  });
});

describe('what happens when every quota is used up', () => {
  it('shows when_exhausted and reset_credit_confirm with what the value in force does, in the CLI words', () => {
    const rows = Object.fromEntries(rotationRows(info).map((r) => [r.field, r]));
    assert.equal(rows.when_exhausted?.label, 'When every quota is used up');
    assert.equal(
      rows.when_exhausted?.detail,
      'spend a banked reset credit on the account whose reset is furthest away; once every included quota is used up: ' +
        'wait for a reset (default), spend a banked reset credit, or use paid credits',
    );
    assert.equal(rows.reset_credit_confirm?.label, 'Reset credit confirmation');
    assert.equal(
      rows.reset_credit_confirm?.detail,
      'ask before each spend (default); with when-exhausted reset-credit: ask before each spend (default) or not',
    );
  });

  it('offers every value the protocol allows, wait first, and patches only that field', () => {
    assert.equal(editKind('when_exhausted'), 'choice');
    assert.equal(editKind('reset_credit_confirm'), 'choice');
    assert.deepEqual(
      choicesFor('when_exhausted').map((c) => c.value),
      ['wait', 'reset-credit', 'paid-credits'],
    );
    assert.match(choicesFor('when_exhausted')[0]?.description ?? '', /nothing is ever spent/);
    assert.deepEqual(
      choicesFor('reset_credit_confirm').map((c) => c.value),
      ['ask', 'automatic'],
    );
    assert.deepEqual(choicesFor('sticky'), []);
    assert.deepEqual(patchFor('when_exhausted', 'paid-credits'), { when_exhausted: 'paid-credits' });
    assert.deepEqual(patchFor('reset_credit_confirm', 'automatic'), { reset_credit_confirm: 'automatic' });
  });
});

describe('editing', () => {
  it('picks strategies, flips switches and types numbers', () => {
    assert.equal(editKind('strategy'), 'strategy');
    assert.equal(editKind('sticky'), 'boolean');
    assert.equal(editKind('retry_limit'), 'count');
    assert.equal(editKind('stall_timeout_seconds'), 'seconds');
  });

  it('reads whole counts and positive seconds, leaving ranges to the server', () => {
    assert.deepEqual(parseNumber('retry_limit', ' 3 '), { value: 3 });
    assert.ok('error' in parseNumber('retry_limit', '2.5'));
    assert.ok('error' in parseNumber('retry_limit', ''));
    assert.deepEqual(parseNumber('first_output_timeout_seconds', '7.5'), { value: 7.5 });
    assert.ok('error' in parseNumber('stall_timeout_seconds', '0'));
    assert.ok('error' in parseNumber('stall_timeout_seconds', 'soon'));
  });

  it('patches only the edited field', () => {
    assert.deepEqual(patchFor('sticky', false), { sticky: false });
    assert.deepEqual(patchFor('stall_timeout_seconds', 90), { stall_timeout_seconds: 90 });
  });
});
