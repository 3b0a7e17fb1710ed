import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { footerOptions, settingKeyFor, toggled, valueText, type FooterField, type FooterOption } from '../../src/footerSettingsModel';
import type { FooterChoices, FooterSettings } from '../../src/protocol';

const defaults: FooterSettings = {
  usage_mode: 'left', reset_window: 'binding', show_account: true, show_reset: true, order: 'account-first', compact: false,
};

/** footer/get's choices as the server sends them. */
const choices: FooterChoices = {
  usage_mode: ['left', 'used'],
  reset_window: ['binding', '5h', '7d', 'both'],
  show_account: [true, false],
  show_reset: [true, false],
  order: ['account-first', 'usage-first'],
  compact: [false, true],
};

function option(field: FooterField, from: FooterChoices = choices): FooterOption {
  const found = footerOptions(from).find((o) => o.field === field);
  assert.ok(found, `an option for ${field}`);
  return found;
}

describe('footer settings panel model', () => {
  it('cycles each preference through the values the server lists', () => {
    assert.equal(toggled(defaults, option('usage_mode')).usage_mode, 'used');
    assert.equal(toggled(toggled(defaults, option('usage_mode')), option('usage_mode')).usage_mode, 'left');
    assert.equal(toggled(defaults, option('reset_window')).reset_window, '5h');
    assert.equal(toggled({ ...defaults, reset_window: 'both' }, option('reset_window')).reset_window, 'binding');
    assert.equal(toggled(defaults, option('show_account')).show_account, false);
    assert.equal(toggled(defaults, option('compact')).compact, true);
  });

  it('offers only what the server offers, in its order', () => {
    const narrower: FooterChoices = { ...choices, reset_window: ['both', '7d'] };
    assert.deepEqual(option('reset_window', narrower).values, ['both', '7d']);
    assert.equal(toggled({ ...defaults, reset_window: '7d' }, option('reset_window', narrower)).reset_window, 'both');
    assert.equal(toggled({ ...defaults, reset_window: 'both' }, option('reset_window', narrower)).reset_window, '7d');
  });

  it('changes nothing else', () => {
    const next = toggled(defaults, option('order'));
    assert.equal(next.order, 'usage-first');
    assert.deepEqual({ ...next, order: defaults.order }, defaults);
  });

  it('covers every footer setting with a VS Code key', () => {
    assert.deepEqual(footerOptions(choices).map((o) => settingKeyFor(o.field)), [
      'footer.usageMode', 'footer.resetWindow', 'footer.showAccount', 'footer.showReset', 'footer.order', 'footer.compact',
    ]);
    assert.equal(valueText(true), 'on');
    assert.equal(valueText('both'), 'both');
  });
});
