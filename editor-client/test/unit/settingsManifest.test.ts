import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FooterOrderValues, ResetWindowValues, UsageModeValues } from '../../src/protocol';
import { FOOTER_SETTING_KEYS } from '../../src/settingsModel';

interface DeclaredSetting {
  readonly scope?: string;
  readonly type?: string;
  readonly enum?: readonly string[];
  readonly default?: unknown;
}

const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, DeclaredSetting> } };
  capabilities?: { untrustedWorkspaces?: { restrictedConfigurations?: readonly string[] } };
};
const settings = manifest.contributes.configuration.properties;

/** What every start of the server reads (command line, environment, store). */
const START_SETTINGS = Object.keys(settings).filter((key) => key.startsWith('multicodex.server.') || key === 'multicodex.home');

describe('the settings a server start reads', () => {
  it('are declared', () => {
    for (const key of ['multicodex.server.command', 'multicodex.server.args', 'multicodex.server.python', 'multicodex.server.env', 'multicodex.home']) {
      assert.ok(START_SETTINGS.includes(key), key);
    }
  });

  it('cannot be set by an untrusted workspace (they choose what runs)', () => {
    const restricted = manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? [];
    for (const key of START_SETTINGS) {
      assert.ok(restricted.includes(key), `${key} is not restricted in untrusted workspaces`);
    }
  });

  it('are read from User settings in remote windows too', () => {
    // In a remote window (code-server, SSH, Codespaces) VS Code drops User-level values of
    // machine and machine-overridable settings once the extension's settings are known:
    // the first start would see them and every later restart would not.
    for (const key of START_SETTINGS) {
      assert.ok(!['machine', 'machine-overridable'].includes(settings[key]?.scope ?? ''), `${key} is ${settings[key]?.scope}`);
    }
  });
});

describe('the store setting', () => {
  it('is a machine\'s own (User or Remote settings), restricted in untrusted workspaces', () => {
    const declared = settings['multicodex.store'];
    assert.equal(declared?.type, 'string');
    assert.equal(declared?.scope, 'machine');
    const restricted = manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? [];
    assert.ok(restricted.includes('multicodex.store'));
  });
});

describe('the workspace account setting', () => {
  it('can be set in workspace settings, even untrusted ones (it runs nothing)', () => {
    const declared = settings['multicodex.workspaceAccount'];
    assert.equal(declared?.type, 'string');
    assert.ok(['window', 'resource'].includes(declared?.scope ?? ''), `scope ${declared?.scope}`);
    const restricted = manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? [];
    assert.ok(!restricted.includes('multicodex.workspaceAccount'));
  });
});

describe('the footer settings', () => {
  it('are all declared, with the values and defaults of the protocol', () => {
    for (const key of Object.values(FOOTER_SETTING_KEYS)) {
      assert.ok(settings[`multicodex.${key}`], `multicodex.${key} is declared`);
    }
    assert.deepEqual(settings['multicodex.footer.usageMode']?.enum, UsageModeValues);
    assert.deepEqual(settings['multicodex.footer.resetWindow']?.enum, ResetWindowValues);
    assert.equal(settings['multicodex.footer.resetWindow']?.default, 'binding');
    assert.deepEqual(settings['multicodex.footer.order']?.enum, FooterOrderValues);
    assert.equal(settings['multicodex.footer.compact']?.type, 'boolean');
    assert.equal(settings['multicodex.footer.compact']?.default, false);
  });
});
