import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { footerView } from '../../src/footerView';
import { account, footer, NOW, status } from './fixtures';

const running = { kind: 'running' } as const;
const time = { now: NOW, timeZone: 'UTC' };

describe('footerView', () => {
  it('shows the server footer text with an icon and opens the picker', () => {
    const view = footerView(status(), running, time);
    assert.equal(view.text, '$(pulse) Codex · alice · 5h 88% left ↺2h13m · weekly 60% left');
    assert.equal(view.accessibilityLabel, 'MultiCodex: Codex · alice · 5h 88% left ↺2h13m · weekly 60% left');
    assert.equal(view.background, undefined);
    assert.deepEqual(view.command, { command: 'multicodex.accounts' });
  });

  it('colours warning and error tiers, and only those', () => {
    assert.equal(footerView(status({ footer: footer('x', 'warning') }), running, time).background, 'warning');
    assert.equal(footerView(status({ footer: footer('x', 'error') }), running, time).background, 'error');
    assert.equal(footerView(status({ footer: footer('x', 'info') }), running, time).background, undefined);
    assert.equal(footerView(status({ footer: footer('x', 'dim') }), running, time).background, undefined);
  });

  it('invites adding an account when there is none, in the server words', () => {
    const text = 'Codex · no accounts · add one (multicodex login)';
    const view = footerView(
      status({ no_accounts: true, accounts: [], active: null, footer: footer(text, 'warning', 'no_accounts') }),
      running,
      time,
    );
    assert.equal(view.text, `$(add) ${text}`);
    assert.equal(view.command.command, 'multicodex.addAccount');
    assert.equal(view.background, 'warning');
  });

  it('invites re-authentication when no account is usable because of it', () => {
    const carol = account({ key: 'carol', state: 'needs_reauth' });
    const view = footerView(
      status({
        active: null,
        accounts: [carol],
        needs_reauth: [{ key: 'carol', display_name: 'Carol' }],
        footer: footer('Codex · Carol needs re-auth', 'error', 'needs_reauth'),
      }),
      running,
      time,
    );
    assert.equal(view.text, '$(key) Codex · Carol needs re-auth');
    assert.deepEqual(view.command, { command: 'multicodex.reauth', arguments: ['carol'] });
    assert.equal(view.background, 'error');
  });

  it('shows the accounts needing re-auth as the server counts them, next to a healthy footer', () => {
    const text = 'Codex · alice · 5h 88% left ↺2h13m · weekly 60% left · 1 needs re-auth';
    const view = footerView(status({ needs_reauth: [{ key: 'bob', display_name: 'bob' }], footer: footer(text) }), running, time);
    assert.equal(view.text, `$(pulse) ${text}`);
    assert.match(view.tooltip, /Re-authenticate bob\]\(command:multicodex\.reauth\?%5B%22bob%22%5D\)/);
  });

  it('says every account is exhausted with the text multicodex status prints', () => {
    const text = 'Codex · all accounts exhausted · next reset in 4h59m';
    const exhausted = status({
      active: null,
      all_exhausted: true,
      earliest_reset: NOW + 4 * 3600 + 59 * 60,
      footer: footer(text, 'error', 'exhausted'),
    });
    const view = footerView(exhausted, running, { now: NOW + 1800, timeZone: 'UTC' });
    assert.equal(view.text, `$(circle-slash) ${text}`, 'the server text, not a countdown of its own');
    assert.equal(view.background, 'error');
    assert.equal(view.command.command, 'multicodex.accounts');
  });

  it('escapes codicon syntax coming from the server', () => {
    const view = footerView(status({ footer: footer('Codex · $(evil)') }), running, time);
    assert.equal(view.text, '$(pulse) Codex · \\$(evil)');
  });

  it('reflects the server process state before any status', () => {
    assert.match(footerView(undefined, { kind: 'starting' }, time).text, /sync~spin/);
    const stopped = footerView(status(), { kind: 'stopped', reason: 'the server exited' }, time);
    assert.equal(stopped.background, 'error');
    assert.equal(stopped.command.command, 'multicodex.restartServer');
    assert.equal(footerView(undefined, { kind: 'waiting', retryInMs: 2000, reason: 'x' }, time).background, 'warning');
  });

  it('says in the tooltip why the server stopped, in its own words', () => {
    const reason = 'exited with code 1: multicodex: cannot read /home/u/.config/multicodex/accounts.json: Permission denied';
    const waiting = footerView(undefined, { kind: 'waiting', retryInMs: 2000, reason }, time);
    assert.match(waiting.tooltip, /^The MultiCodex server exited with code 1: multicodex: cannot read .*accounts\.json: Permission denied; restarting in 2 s\./);
    const stopped = footerView(undefined, { kind: 'stopped', reason: 'exited with code 2: bad *flag* [x]' }, time);
    assert.match(stopped.tooltip, /exited with code 2: bad \\\*flag\\\* \\\[x\\\]/);
  });
});
