import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FooterOrderValues, LogLevelValues, ResetWindowValues, UsageModeValues } from '../../src/protocol';
import { readExtensionSettings, readFooterPatch, readRotationPatch, RESTART_SETTINGS } from '../../src/settingsModel';

const reader = (values: Record<string, unknown>) => (key: string): unknown => values[key];

describe('readExtensionSettings', () => {
  it('sends only the log level when the user set nothing', () => {
    const settings = readExtensionSettings(reader({}));
    assert.deepEqual(settings.forServer, { log_level: 'warning' });
    assert.deepEqual(settings.server, { command: '', args: [], python: '', env: {} });
    assert.equal(settings.footerVisible, true);
    assert.equal(settings.askModel, '');
  });

  it('lets chat requests wait for a reset only when the user set minutes for it', () => {
    assert.equal(readExtensionSettings(reader({})).chatWaitForResetSeconds, 0);
    assert.equal(readExtensionSettings(reader({ 'chat.waitForResetMinutes': 15 })).chatWaitForResetSeconds, 900);
    assert.equal(readExtensionSettings(reader({ 'chat.waitForResetMinutes': 10_000 })).chatWaitForResetSeconds, 0);
  });

  it('sends the workspace account when one is set, trimmed', () => {
    assert.equal(readExtensionSettings(reader({ workspaceAccount: ' bob@x.com ' })).forServer.workspace_account, 'bob@x.com');
    assert.equal('workspace_account' in readExtensionSettings(reader({ workspaceAccount: '  ' })).forServer, false);
  });

  it('sends the store (a directory or a database URL) from the user\'s own settings only', () => {
    const url = 'postgresql://dev@db.internal:5432/multicodex';
    const user = reader({ store: ` ${url} ` });
    assert.equal(readExtensionSettings(reader({}), user).forServer.store, url);
    assert.equal(readExtensionSettings(reader({}), reader({ store: '/srv/mc' })).forServer.store, '/srv/mc');
    const fromWorkspace = reader({ store: 'postgresql://attacker@evil.example/db' });
    assert.equal('store' in readExtensionSettings(fromWorkspace, reader({})).forServer, false);
    assert.equal('store' in readExtensionSettings(reader({}), reader({ store: '  ' })).forServer, false);
  });

  it('restarts the server when the store changes, as for the other settings a start reads', () => {
    for (const key of ['store', 'home', 'server', 'workspaceAccount', 'proxy']) {
      assert.ok(RESTART_SETTINGS.includes(key), key);
    }
  });

  it('maps explicit settings to snake_case initializationOptions', () => {
    const settings = readExtensionSettings(reader({
      home: ' /tmp/mc ',
      'server.logLevel': 'debug',
      'footer.usageMode': 'used',
      'footer.showAccount': false,
      'rotation.strategy': 'drain-first',
      'rotation.retryLimit': 3,
      'server.env': { MULTICODEX_AUTH_URL: 'http://127.0.0.1:1', BAD: 7 },
      'footer.enabled': false,
    }));
    assert.deepEqual(settings.forServer, {
      log_level: 'debug',
      home: '/tmp/mc',
      footer: { usage_mode: 'used', show_account: false },
      rotation: { strategy: 'drain-first', retry_limit: 3 },
    });
    assert.deepEqual(settings.server.env, { MULTICODEX_AUTH_URL: 'http://127.0.0.1:1' });
    assert.equal(settings.footerVisible, false);
  });

  it('passes on every value the protocol lists for a setting', () => {
    for (const level of LogLevelValues) {
      assert.equal(readExtensionSettings(reader({ 'server.logLevel': level })).forServer.log_level, level);
    }
    for (const value of UsageModeValues) {
      assert.deepEqual(readFooterPatch(reader({ 'footer.usageMode': value })), { usage_mode: value });
    }
    for (const value of ResetWindowValues) {
      assert.deepEqual(readFooterPatch(reader({ 'footer.resetWindow': value })), { reset_window: value });
    }
    for (const value of FooterOrderValues) {
      assert.deepEqual(readFooterPatch(reader({ 'footer.order': value })), { order: value });
    }
    for (const value of [true, false]) {
      assert.deepEqual(readFooterPatch(reader({ 'footer.compact': value })), { compact: value });
    }
  });

  it('reads what happens once the pool is exhausted, dropping unknown or empty values', () => {
    assert.deepEqual(
      readRotationPatch(reader({ 'rotation.whenExhausted': 'reset-credit', 'rotation.resetCreditConfirm': 'automatic' })),
      { when_exhausted: 'reset-credit', reset_credit_confirm: 'automatic' },
    );
    assert.deepEqual(readRotationPatch(reader({ 'rotation.whenExhausted': '', 'rotation.resetCreditConfirm': 'always' })), {});
  });

  it('drops invalid values instead of sending them (the server rejects unknown shapes)', () => {
    assert.deepEqual(readFooterPatch(reader({ 'footer.usageMode': 'sideways', 'footer.order': 'usage-first' })), { order: 'usage-first' });
    assert.deepEqual(readRotationPatch(reader({ 'rotation.retryLimit': 99, 'rotation.fallbackCooldownSeconds': 0, 'rotation.sticky': false })), { sticky: false });
    assert.equal(readExtensionSettings(reader({ 'server.logLevel': 'loud' })).forServer.log_level, 'warning');
  });
});
