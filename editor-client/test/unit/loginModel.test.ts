import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METHOD_CHOICES, progressMessage, signInActions, signInInstruction } from '../../src/loginModel';
import { LoginMethodValues, type LoginStartResult } from '../../src/protocol';

function start(overrides: Partial<LoginStartResult>): LoginStartResult {
  return {
    login_id: 'login-1',
    method: 'browser',
    authorize_url: null,
    redirect_uri: null,
    callback_listening: false,
    user_code: null,
    verification_url: null,
    expires_at: 0,
    reauth: null,
    browser_open_requested: true,
    ...overrides,
  };
}

const device = start({ method: 'device', user_code: 'ABCD-1234', verification_url: 'https://auth.example/codex/device' });
const browser = start({
  authorize_url: 'https://auth.example/oauth/authorize?state=s',
  redirect_uri: 'http://localhost:1455/auth/callback',
  callback_listening: true,
});

describe('METHOD_CHOICES', () => {
  it('offers every login method the protocol has, the browser first', () => {
    assert.deepEqual(METHOD_CHOICES.map((c) => c.method), [...LoginMethodValues]);
    assert.match(METHOD_CHOICES[1]?.label ?? '', /device code/);
  });
});

describe('signInActions', () => {
  it('offers copying the device code and opening or copying the page', () => {
    const actions = signInActions(device);
    assert.deepEqual(actions.map((a) => a.id), ['copyCode', 'openPage', 'copyLink']);
    assert.equal(actions[0]?.value, 'ABCD-1234');
    assert.equal(actions[1]?.value, 'https://auth.example/codex/device');
  });

  it('offers the page again, its link and pasting the redirect address for the browser', () => {
    const actions = signInActions(browser);
    assert.deepEqual(actions.map((a) => a.id), ['openPage', 'copyLink', 'paste']);
    assert.equal(actions[1]?.value, browser.authorize_url);
  });
});

describe('signInInstruction', () => {
  it('names the code and the page for a device login', () => {
    assert.equal(signInInstruction(device), 'Enter the code ABCD-1234 at https://auth.example/codex/device');
  });

  it('asks for the pasted address when the callback is not listening', () => {
    assert.equal(signInInstruction(browser), 'Finish signing in in your browser');
    assert.match(signInInstruction({ ...browser, callback_listening: false }), /paste the address/);
  });
});

describe('progressMessage', () => {
  it('keeps the device code in sight', () => {
    assert.equal(progressMessage(device, 'Waiting for the code (expires in 15m)'), 'Waiting for the code (expires in 15m) (code ABCD-1234)');
    assert.equal(progressMessage(browser, 'Waiting for the browser'), 'Waiting for the browser');
  });
});
