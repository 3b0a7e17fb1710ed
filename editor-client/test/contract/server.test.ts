// Contract test: drives the real `multicodex serve`, pointed at the real emulator, with
// vscode-jsonrpc and the extension's own protocol types. Every method and notification the
// extension relies on is exercised with the shapes the extension reads.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { asPatch, footerOptions, toggled } from '../../src/footerSettingsModel';
import { footerView } from '../../src/footerView';
import { deltaMessage } from '../../src/askFlow';
import { chatFailure } from '../../src/chatErrors';
import { ChatRole, toCompletionInput, type ChatMessageLike } from '../../src/chatMessages';
import { chatInformation } from '../../src/chatModels';
import { toolCallOfDelta, ToolMode, toolParams, unreportedToolCalls, type ToolCallReport } from '../../src/chatTools';
import { conversationKey } from '../../src/conversationKey';
import { signInActions } from '../../src/loginModel';
import { choicesFor, parseNumber, patchFor, rotationRows } from '../../src/rotationPanelModel';
import { ErrorCode, Methods, Notifications, type CompleteResult } from '../../src/protocol';
import { Emulator } from '../support/emulator';
import { projectPython, stopAll, waitFor } from '../support/processes';
import { seedAccounts, ServerSession } from '../support/server';

const python = projectPython();
let root: string;
let emulator: Emulator;
let server: ServerSession;
let emails: string[];

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'multicodex-contract-'));
  emulator = await Emulator.start(python, { accounts: 3, tokensPerSecond: 400 });
  server = await ServerSession.start(python, emulator.serverEnv(path.join(root, 'home')), {
    callback_ports: [await freePort()],
  });
});

after(async () => {
  await server?.stop();
  await emulator?.stop();
  await stopAll();
  rmSync(root, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('multicodex serve, as the extension uses it', () => {
  it('announces every method and notification the extension calls', () => {
    const caps = server.capabilities;
    assert.ok(caps, 'initialize result has capabilities.experimental.multicodex');
    assert.equal(caps.protocol_version, 1);
    for (const type of Object.values(Methods)) {
      assert.ok(caps.methods.includes(type.method), `server implements ${type.method}`);
    }
    for (const type of Object.values(Notifications)) {
      assert.ok(caps.notifications.includes(type.method), `server may send ${type.method}`);
    }
  });

  it('reports an empty pool', async () => {
    const status = await server.connection.sendRequest(Methods.statusGet, {});
    assert.equal(status.no_accounts, true);
    const list = await server.connection.sendRequest(Methods.accountsList, {});
    assert.equal(list.no_accounts, true);
    assert.deepEqual(list.accounts, []);
  });

  it('imports accounts and pushes a status with the footer for the active one', async () => {
    emails = await seedAccounts(server, emulator, root);
    // The footer reads "loading..." until the active account's usage is fetched; the
    // server fetches it by itself (no refresh request here).
    const status = await server.waitForStatus(
      (s) => s.accounts.length === 3 && s.active !== null && s.footer.state === 'serving',
      30_000,
      'three accounts and the active one with usage',
    );
    assert.equal(status.no_accounts, false);
    assert.ok(status.active);
    assert.match(status.footer.text, / · 5h \d+% left/);
    assert.match(status.footer.text, / · weekly \d+% left/);
    assert.equal(status.footer.text, status.footer.segments.map((s) => s.text).join(''));
    const shown = footerView(status, { kind: 'running' }, { now: Date.now() / 1000 });
    assert.match(shown.text, /^\$\([a-z~-]+\) /);
    // The server's text, with the binding window's reset time beside its countdown (and the
    // pool after it once more than one account's usage is known).
    const bare = shown.text.replace(/^\$\([a-z~-]+\) /, '');
    assert.match(bare, /↺\w+ \((\w{3} )?\d\d:\d\d\)/);
    const withoutGlance = bare.replace(/ \((\w{3} )?\d\d:\d\d\)/, '').replace(/ · pool \S+ [\d.]+\/\d left$/, '');
    assert.equal(withoutGlance, status.footer.text, 'the status bar shows the server text');
    const list = await server.connection.sendRequest(Methods.accountsList, { refresh_stale: false });
    assert.deepEqual(new Set(list.accounts.map((a) => a.email)), new Set(emails));
    for (const account of list.accounts) {
      assert.ok(account.usage_line.length > 0);
      assert.ok(account.status_line.endsWith(account.usage_line));
    }
  });

  it('pins an account and pushes the new active account', async () => {
    const list = await server.connection.sendRequest(Methods.accountsList, {});
    const other = list.accounts.find((a) => !a.is_active);
    assert.ok(other);
    const used = await server.connection.sendRequest(Methods.accountsUse, { key: other.key });
    assert.equal(used.active.key, other.key);
    assert.equal(used.active.pinned, true);
    const status = await server.waitForStatus((s) => s.active?.key === other.key, 10_000, 'pinned account active');
    assert.ok(status.footer.text.includes(other.display_name));
  });

  it('streams a completion as ordered deltas that add up to the result', async () => {
    const streamId = 'contract-1';
    const models = await server.connection.sendRequest(Methods.modelsList, {});
    assert.ok(models.models.some((m) => m.slug === models.default_model));
    const result = await server.connection.sendRequest(Methods.complete, {
      stream_id: streamId,
      model: models.default_model,
      prompt: 'Say hello.',
    });
    const deltas = server.deltas.filter((d) => d.stream_id === streamId);
    assert.deepEqual(deltas.map((d) => d.seq), deltas.map((_, i) => i));
    assert.equal(deltas[0]?.kind, 'start');
    assert.equal(result.deltas, deltas.length);
    const text = deltas.filter((d) => d.kind === 'text').map((d) => d.text).join('');
    assert.ok(text.length > 0);
    assert.equal(result.text, text);
  });

  it('moves to another account when the active one is exhausted', async () => {
    const before = await server.connection.sendRequest(Methods.statusGet, {});
    assert.ok(before.active);
    const exhausted = before.accounts.find((a) => a.key === before.active!.key)!;
    const emu = (await emulator.accounts()).find((a) => a.email === exhausted.email)!;
    await emulator.setUsage(emu.account_id, { five_hour_used: 100 });
    const models = await server.connection.sendRequest(Methods.modelsList, {});
    const result = await server.connection.sendRequest(Methods.complete, {
      stream_id: 'contract-2',
      model: models.default_model,
      prompt: 'Say hello again.',
    });
    assert.notEqual(result.account.key, exhausted.key);
    const moved = server.deltas.find((d) => d.stream_id === 'contract-2' && d.kind === 'switch');
    assert.ok(moved?.reason, `a switch delta with its reason: ${JSON.stringify(server.deltas.filter((d) => d.stream_id === 'contract-2' && d.kind !== 'text'))}`);
    assert.equal(deltaMessage(moved), `${moved.text}: ${moved.reason}`);
    const status = await server.waitForStatus(
      (s) => s.active !== null && s.active.key !== exhausted.key,
      10_000,
      'active account moved',
    );
    assert.ok(status.footer.text.includes(status.active!.display_name));
    const after = status.accounts.find((a) => a.key === exhausted.key)!;
    assert.equal(after.state, 'cooldown');
  });

  it('cancels a running completion with -32800', async () => {
    const models = await server.connection.sendRequest(Methods.modelsList, {});
    const source = new CancellationTokenSource();
    const streamId = 'contract-cancel';
    // Through the session: a second onNotification handler would replace (and on dispose
    // remove) the one that records every delta.
    const seen = new Promise<void>((resolve) => {
      const unsubscribe = server.onDelta((d) => {
        if (d.stream_id === streamId) {
          unsubscribe();
          resolve();
        }
      });
    });
    const request = server.connection.sendRequest(
      Methods.complete,
      { stream_id: streamId, model: models.default_model, prompt: 'Write a long story.' },
      source.token,
    );
    await seen;
    source.cancel();
    await assert.rejects(request, (error: unknown) => error instanceof ResponseError && error.code === ErrorCode.REQUEST_CANCELLED);
  });

  it('previews footer settings without changing the pushed footer, then applies them', async () => {
    const current = await server.connection.sendRequest(Methods.footerGet, {});
    const mode = current.settings.usage_mode === 'left' ? 'used' : 'left';
    const preview = await server.connection.sendRequest(Methods.footerPreview, { usage_mode: mode });
    assert.equal(preview.settings.usage_mode, mode);
    assert.match(preview.line.text, mode === 'used' ? /% used/ : /% left/);
    const unchanged = await server.connection.sendRequest(Methods.footerGet, {});
    assert.equal(unchanged.settings.usage_mode, current.settings.usage_mode);
    await server.connection.sendRequest(Methods.footerSet, { usage_mode: mode, persist: false });
    await server.waitForStatus((s) => s.footer.text === preview.line.text || s.footer.text.includes(mode), 10_000, 'footer in new mode');
  });

  it('lists every value of every footer setting, and the server accepts each one the panel offers', async () => {
    const info = await server.connection.sendRequest(Methods.footerGet, {});
    const options = footerOptions(info.choices);
    assert.deepEqual(options.map((o) => o.field).sort(), Object.keys(info.settings).sort());
    for (const option of options) {
      assert.ok(option.values.includes(info.settings[option.field]), `${option.field}'s value is among its choices`);
      let draft = info.settings;
      for (let step = 0; step < option.values.length; step += 1) {
        draft = toggled(draft, option);
        const preview = await server.connection.sendRequest(Methods.footerPreview, asPatch(draft));
        assert.deepEqual(preview.settings, draft);
      }
      assert.deepEqual(draft, info.settings, `${option.field} comes back to its value after a full cycle`);
    }
  });

  it('accepts an edit of every rotation setting the panel shows', async () => {
    const info = await server.connection.sendRequest(Methods.rotationGet, {});
    for (const row of rotationRows(info)) {
      const current = info.policy[row.field];
      const value = typeof current === 'boolean'
        ? !current
        : typeof current === 'number'
          ? (parseNumber(row.field, String(current + 1)) as { value: number }).value
          : row.field === 'strategy'
            ? (info.strategies.find((s) => s.name !== current) ?? info.strategies[0])!.name
            : choicesFor(row.field).find((c) => c.value !== current)!.value;
      const after = await server.connection.sendRequest(Methods.rotationSet, { ...patchFor(row.field, value), persist: false });
      assert.equal(after.policy[row.field], value, row.field);
    }
    const restored = await server.connection.sendRequest(Methods.rotationSet, { ...info.policy, persist: false });
    assert.deepEqual(restored.policy, info.policy);
  });

  it('adds an account through the browser login (loopback callback)', async () => {
    const fresh = await emulator.createAccount('login-added@example.test');
    await emulator.authorizeAs(fresh.account_id);
    const start = await server.connection.sendRequest(Methods.loginStart, { method: 'browser', open_browser: false });
    assert.ok(start.authorize_url);
    const waiting = server.connection.sendRequest(Methods.loginWait, { login_id: start.login_id });
    if (start.callback_listening) {
      const response = await fetch(start.authorize_url, { signal: AbortSignal.timeout(15_000) });
      assert.ok(response.ok, `callback page answered ${response.status}`);
    } else {
      const redirect = await fetch(start.authorize_url, { redirect: 'manual', signal: AbortSignal.timeout(15_000) });
      await server.connection.sendRequest(Methods.loginPaste, { login_id: start.login_id, text: redirect.headers.get('location') ?? '' });
    }
    const result = await waiting;
    assert.equal(result.outcome, 'added');
    assert.equal(result.account.email, 'login-added@example.test');
    await server.waitForStatus((s) => s.accounts.length === 4, 10_000, 'four accounts');
  });

  it('adds an account with a device code, offering the code and the page the panel shows', async () => {
    const fresh = await emulator.createAccount('device-added@example.test');
    await emulator.updateSettings({ device_auto_approve_after: 10_000 });
    const start = await server.connection.sendRequest(Methods.loginStart, { method: 'device', open_browser: false });
    assert.equal(start.method, 'device');
    assert.ok(start.user_code && start.verification_url, JSON.stringify(start));
    const actions = signInActions(start);
    assert.equal(actions.find((a) => a.id === 'copyCode')?.value, start.user_code);
    assert.equal(actions.find((a) => a.id === 'openPage')?.value, start.verification_url);
    const waiting = server.connection.sendRequest(Methods.loginWait, { login_id: start.login_id });
    await emulator.approveDevice(start.user_code, fresh.account_id);
    const result = await waiting;
    assert.equal(result.outcome, 'added');
    assert.equal(result.account.email, 'device-added@example.test');
  });

  it('answers invalid params with -32602 and the field at fault', async () => {
    await assert.rejects(
      server.connection.sendRequest(Methods.accountsUse, { key: '' }),
      (error: unknown) => error instanceof ResponseError && error.code === ErrorCode.INVALID_PARAMS,
    );
  });

  it('answers an unknown account with ACCOUNT_NOT_FOUND', async () => {
    await assert.rejects(
      server.connection.sendRequest(Methods.accountsRemove, { key: 'nobody|none' }),
      (error: unknown) => error instanceof ResponseError && error.code === ErrorCode.ACCOUNT_NOT_FOUND,
    );
  });

  it('resets pins and cooldowns', async () => {
    const result = await server.connection.sendRequest(Methods.accountsReset, { target: 'all' });
    assert.equal(result.target, 'all');
    assert.ok(result.quota_cleared >= 1);
    await waitFor(async () => {
      const status = await server.connection.sendRequest(Methods.statusGet, {});
      return status.accounts.every((a) => a.state !== 'cooldown') ? status : undefined;
    }, 10_000, 'no cooldowns');
  });
});

// ---------------------------------------------------------------- the vscode.lm chat provider

/** A 1×1 PNG, as a LanguageModelDataPart.image would carry it. */
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const RESPONSES = '/backend-api/codex/responses';
const TOOLS = [
  { name: 'get_weather', description: 'The weather in a city now', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } },
  { name: 'get_time', description: 'The time in a city now', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } },
];

/** Sends vscode-shaped messages the way the chat provider does; returns what it would report. */
async function chatTurn(model: string, messages: readonly ChatMessageLike[], streamId: string): Promise<{ result: CompleteResult; calls: ToolCallReport[]; text: string }> {
  const { instructions, input } = toCompletionInput(messages);
  const result = await server.connection.sendRequest(Methods.complete, {
    stream_id: streamId,
    model,
    input,
    instructions,
    conversation_id: conversationKey(messages) ?? null,
    ...toolParams({ tools: TOOLS, toolMode: ToolMode.Auto }),
  });
  const deltas = server.deltas.filter((d) => d.stream_id === streamId);
  // As the provider reports them: tool_call deltas first, then calls only the result holds.
  const streamed = deltas.map(toolCallOfDelta).filter((c): c is ToolCallReport => c !== undefined);
  const calls = [...streamed, ...unreportedToolCalls(result, new Set(streamed.map((c) => c.callId)))];
  return { result, calls, text: deltas.filter((d) => d.kind === 'text').map((d) => d.text).join('') };
}

describe('the chat provider against the real server and emulator', () => {
  it('lists each model the pool serves with the catalog\'s budgets and image support', async () => {
    const list = await server.connection.sendRequest(Methods.modelsList, {});
    const status = await server.connection.sendRequest(Methods.statusGet, {});
    const models = chatInformation(list.models, status, Date.now() / 1000);
    assert.ok(models.length > 0);
    assert.deepEqual(models.map((m) => m.id), list.models.filter((m) => m.accounts.length > 0).map((m) => m.slug));
    for (const [index, info] of models.entries()) {
      const summary = list.models.find((m) => m.slug === info.id)!;
      assert.equal(info.maxInputTokens, summary.max_input_tokens, info.id);
      assert.equal(info.maxOutputTokens, summary.max_output_tokens, info.id);
      assert.equal(info.capabilities.imageInput, summary.supports_images, info.id);
      assert.match(info.detail ?? '', /^MultiCodex · next: \S.* · \d+ accounts?, \d+% left$/, `${index}: ${info.detail}`);
    }
  });

  it('round-trips parallel tool calls: calls come back as parts, results go back as function_call_output, on one account with cached tokens', async () => {
    const list = await server.connection.sendRequest(Methods.modelsList, {});
    const model = list.default_model;
    const since = (await emulator.requests(RESPONSES)).at(-1)?.id ?? 0;
    const history: ChatMessageLike[] = [
      { role: ChatRole.System, content: 'You are a travel agent.' },
      { role: ChatRole.User, content: [{ value: 'Weather and time in Oslo? CALL_TOOL:get_weather CALL_TOOL:get_time' }] },
    ];
    const first = await chatTurn(model, history, 'chat-tools-1');
    assert.deepEqual(first.calls.map((c) => c.name), ['get_weather', 'get_time']);
    assert.equal(new Set(first.calls.map((c) => c.callId)).size, 2);
    history.push(
      { role: ChatRole.Assistant, content: first.calls.map((c) => ({ callId: c.callId, name: c.name, input: c.input })) },
      { role: ChatRole.User, content: first.calls.map((c) => ({ callId: c.callId, content: [{ value: c.name === 'get_weather' ? '-3 C, snow' : '14:05' }] })) },
    );
    const second = await chatTurn(model, history, 'chat-tools-2');
    assert.deepEqual(second.calls, []);
    assert.equal(second.text, second.result.text);
    assert.match(second.text, /tool said: -3 C, snow tool said: 14:05/, 'the final answer read both tool results');
    assert.equal(second.result.account.key, first.result.account.key, 'the conversation kept its account');
    assert.ok(second.result.usage.cached_tokens > 0, `cached tokens on the second turn: ${JSON.stringify(second.result.usage)}`);
    const logged = (await emulator.requests(RESPONSES)).filter((r) => r.id > since);
    assert.equal(logged.length, 2, JSON.stringify(logged.map((r) => r.input_items)));
    assert.deepEqual(logged[0]!.tool_calls, first.calls.map((c) => c.callId));
    assert.deepEqual(logged[1]!.tool_outputs, first.calls.map((c) => c.callId));
    assert.deepEqual(logged[1]!.input_items, ['message', 'function_call', 'function_call', 'function_call_output', 'function_call_output']);
    assert.equal(logged[1]!.prompt_cache_key, logged[0]!.prompt_cache_key);
    assert.ok(logged[0]!.prompt_cache_key);
  });

  it('sends an image part that reaches the backend as input_image', async () => {
    const list = await server.connection.sendRequest(Methods.modelsList, {});
    const model = list.models.find((m) => m.supports_images && m.accounts.length > 0);
    assert.ok(model, 'a model that takes images');
    const since = (await emulator.requests(RESPONSES)).at(-1)?.id ?? 0;
    const { result } = await chatTurn(model.slug, [
      { role: ChatRole.User, content: [{ value: 'What is in this picture?' }, { mimeType: 'image/png', data: new Uint8Array(PNG_1X1) }] },
    ], 'chat-image');
    assert.ok(result.text.length > 0);
    const logged = (await emulator.requests(RESPONSES)).filter((r) => r.id > since);
    assert.deepEqual(logged.at(-1)?.images, [{ source: 'data', media_type: 'image/png', bytes: PNG_1X1.length }]);
  });

  it('words an exhausted pool in chat terms: the earliest reset and how to wait for it', async () => {
    for (const account of await emulator.accounts()) {
      await emulator.setUsage(account.account_id, { five_hour_used: 100 });
    }
    const list = await server.connection.sendRequest(Methods.modelsList, {});
    const failure = await server.connection.sendRequest(Methods.complete, {
      stream_id: 'chat-exhausted',
      model: list.default_model,
      input: toCompletionInput([{ role: ChatRole.User, content: 'Anyone?' }]).input,
    }).then(() => undefined, (error: unknown) => error);
    assert.ok(failure instanceof ResponseError && failure.code === ErrorCode.POOL_EXHAUSTED, String(failure));
    const said = chatFailure(failure, { now: Date.now() / 1000 });
    assert.equal(said.kind, 'error');
    // The reset is about five hours away: after 19:00 (in the client's time zone) it falls
    // on the next day, and the clock time then carries its weekday.
    assert.match(said.kind === 'error' ? said.message : '', /Every MultiCodex account has used up its Codex quota; the earliest reset is at (?:[A-Z][a-z]{2} )?\d\d:\d\d \(in \S+\)\. .*multicodex\.chat\.waitForResetMinutes/);
  });
});
