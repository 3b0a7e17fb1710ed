import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readExtensionSettings } from '../../src/settingsModel';
import { statusTooltip } from '../../src/tooltip';
import { NOW, status } from './fixtures';

const time = { now: NOW, timeZone: 'UTC' };

describe('the Codex CLI proxy in the tooltip', () => {
  it('says where the proxy serves and what it served', () => {
    const md = statusTooltip(
      status({
        proxy: {
          serving: true,
          base_url: 'http://127.0.0.1:18765/backend-api',
          error: null,
          turns_served: 3,
          last_account: { key: 'bob', display_name: 'bob@example.com' },
        },
      }),
      time,
    );
    assert.match(md, /\$\(plug\) Codex CLI proxy on 127\.0\.0\.1:18765 · served 3 turns, last on bob@example\.com/);
  });

  it('says why the proxy is not serving, and nothing when it is off', () => {
    const down = statusTooltip(
      status({
        proxy: { serving: false, base_url: null, error: 'cannot listen on 127.0.0.1:18765: Address in use', turns_served: 0, last_account: null },
      }),
      time,
    );
    assert.match(down, /Codex CLI proxy not serving: cannot listen on 127\.0\.0\.1:18765/);
    assert.doesNotMatch(statusTooltip(status(), time), /Codex CLI proxy/);
  });
});

describe('multicodex.proxy settings', () => {
  it('enable the proxy on its port, and leave it off by default', () => {
    const on = readExtensionSettings((key) => ({ 'proxy.enabled': true, 'proxy.port': 19000 })[key]);
    assert.deepEqual(on.forServer.proxy, { enabled: true, port: 19000 });
    const defaultPort = readExtensionSettings((key) => ({ 'proxy.enabled': true })[key]);
    assert.deepEqual(defaultPort.forServer.proxy, { enabled: true, port: 18765 });
    assert.equal(readExtensionSettings(() => undefined).forServer.proxy, undefined);
  });
});
