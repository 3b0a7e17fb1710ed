import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FOOTER_OPTIONS, settingKeyFor, toggled, valueText } from '../../src/footerSettingsModel';
import type { FooterSettings } from '../../src/protocol';

const defaults: FooterSettings = { usage_mode: 'left', reset_window: '7d', show_account: true, show_reset: true, order: 'account-first' };

describe('footer settings panel model', () => {
  it('cycles each preference through its values', () => {
    assert.equal(toggled(defaults, 'usage_mode').usage_mode, 'used');
    assert.equal(toggled(toggled(defaults, 'usage_mode'), 'usage_mode').usage_mode, 'left');
    assert.equal(toggled(defaults, 'reset_window').reset_window, 'both');
    assert.equal(toggled(toggled(defaults, 'reset_window'), 'reset_window').reset_window, '5h');
    assert.equal(toggled(defaults, 'show_account').show_account, false);
  });

  it('changes nothing else', () => {
    const next = toggled(defaults, 'order');
    assert.deepEqual({ ...next, order: defaults.order }, defaults);
  });

  it('covers every footer setting with a VS Code key', () => {
    assert.deepEqual(FOOTER_OPTIONS.map((o) => settingKeyFor(o.field)), [
      'footer.usageMode', 'footer.resetWindow', 'footer.showAccount', 'footer.showReset', 'footer.order',
    ]);
    assert.equal(valueText(true), 'on');
    assert.equal(valueText('both'), 'both');
  });
});
