// The real-editor test: code-server with the packaged extension, driven by headless
// Chromium through Playwright, with the real `multicodex serve` against the emulator.
//
//   node out/e2e/runEditorTest.js --manifest build/editor-test.json --artifacts ../test-artifacts/editor --python ../.venv/bin/python
//
// Exit code 0 when every check passed. Writes result.json, screenshots and logs to the
// artifacts directory (what an earlier run left there is removed first). Loopback only;
// every process it starts is stopped before it exits.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { Emulator } from '../../test/support/emulator';
import { stopAll, waitFor } from '../../test/support/processes';
import { seedAccounts, ServerSession } from '../../test/support/server';
import { CodeServer, type Manifest } from './codeServer';
import { serverProcessesBelow, type ServerProcess } from './serverProcesses';
import {
  editorTabs,
  extensionLog,
  focusedQuickInput,
  FOOTER,
  pickRow,
  QUICK_INPUT,
  QUICK_ROWS,
  quickInputTitle,
  runCommand,
  STEP_TIMEOUT_MS,
  toastTexts,
  typeInQuickInput,
  waitForFooter,
  waitForLogLine,
  waitForToast,
} from './workbench';

const OVERALL_TIMEOUT_MS = 300_000;
/** What a run writes to the artifacts directory; a new run first removes an older run's. */
const OWN_ARTIFACT = /\.(png|log)$|^(result|probe|agent)\.json$/;
const RESPONSES = '/backend-api/codex/responses';
/** "5h 100% left ↺4h59m (18:03) · … · pool 5h 3/3 left": the footer's glance. */
const BINDING_RESET = /(5h|weekly) \d+% left ↺\w+ \((\w{3} )?\d\d:\d\d\)/;
const POOL_HEADROOM = / · pool (5h|weekly) \d+(\.\d)?\/3 left/;
const WEBVIEW_RESOURCE = /^https:\/\/[\w.+-]+\.vscode-resource\.vscode-cdn\.net\//;
// The pool's notice, or the active account's when only it crossed (the server says the pool's
// alone when both cross at one check).
const USAGE_NOTICE = /MultiCodex: (?:the pool|\S+@\S+) has used 85% of its 5h window/;

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  seconds: number;
}

const checks: Check[] = [];
const started = Date.now();

function log(message: string): void {
  console.log(`[editor-test +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

async function check(name: string, body: () => Promise<string>): Promise<void> {
  const t0 = Date.now();
  try {
    const detail = await body();
    checks.push({ name, ok: true, detail, seconds: (Date.now() - t0) / 1000 });
    log(`PASS ${name}: ${detail}`);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    checks.push({ name, ok: false, detail, seconds: (Date.now() - t0) / 1000 });
    log(`FAIL ${name}: ${detail}`);
    throw error;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      manifest: { type: 'string' },
      artifacts: { type: 'string' },
      python: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const manifest = JSON.parse(readFileSync(required(values.manifest, '--manifest'), 'utf8')) as Manifest;
  const artifacts = path.resolve(required(values.artifacts, '--artifacts'));
  const python = path.resolve(required(values.python, '--python'));
  mkdirSync(artifacts, { recursive: true });
  removeEarlierArtifacts(artifacts);
  const root = mkdtempSync(path.join(tmpdir(), 'multicodex-editor-'));
  const home = path.join(root, 'multicodex-home');
  const probeFile = path.join(root, 'probe.json');
  const settingsFile = path.join(root, 'settings-to-apply.json');
  const agentFile = path.join(root, 'agent.json');
  const continueFile = path.join(root, 'agent-continue');
  let emulator: Emulator | undefined;
  let codeServer: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const offLoopback: string[] = [];
  try {
    emulator = await Emulator.start(python, { accounts: 3, tokensPerSecond: 200 });
    log(`emulator at ${emulator.baseUrl}`);
    const seed = await ServerSession.start(python, emulator.serverEnv(home));
    const emails = await seedAccounts(seed, emulator, root);
    await seed.stop();
    log(`seeded ${emails.join(', ')}`);

    codeServer = await CodeServer.start(manifest, root, editorSettings(python, emulator, home, { probeFile, settingsFile, agentFile, continueFile }), path.join(artifacts, 'code-server.log'));
    log(`code-server at ${codeServer.url}`);
    browser = await chromium.launch({
      executablePath: manifest.chromium,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    context.on('request', (request) => {
      const url = request.url();
      if (!/^(https?|wss?):\/\/(127\.0\.0\.1|localhost)[:/]/.test(url) && !/^(data|blob|about|vscode-\w+):/.test(url) && !WEBVIEW_RESOURCE.test(url)) {
        offLoopback.push(url);
      }
    });
    // A webview's own files (the usage chart's script and stylesheet) have URLs on this
    // host, which never resolves here: the webview's service worker answers them from
    // code-server. One answered by anything else would have gone out.
    context.on('response', (response) => {
      if (WEBVIEW_RESOURCE.test(response.url()) && !response.fromServiceWorker()) {
        offLoopback.push(response.url());
      }
    });
    context.on('requestfailed', (request) => {
      if (WEBVIEW_RESOURCE.test(request.url())) {
        offLoopback.push(`${request.url()} (failed: ${request.failure()?.errorText ?? '?'})`);
      }
    });
    page = await context.newPage();
    // Pages the editor opens (the sign-in page of a login) would leave the workbench in a
    // background tab, where the browser pauses its animations (hovers stay faded out).
    const workbench = page;
    context.on('page', (opened) => {
      log(`the editor opened ${opened.url() || 'a page'}; closing it`);
      void opened.close().then(() => workbench.bringToFront()).catch(() => undefined);
    });
    const consoleLog: string[] = [];
    page.on('console', (message) => consoleLog.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => consoleLog.push(`[pageerror] ${error.message}`));
    await page.goto(codeServer.url);
    await page.waitForSelector('.monaco-workbench', { timeout: STEP_TIMEOUT_MS });
    log('workbench loaded');

    const p = page;
    const cs = codeServer;
    const emu = emulator;
    /** Changes User settings through VS Code's configuration API (the probe extension). */
    const applySettings = async (page: Page, settings: Record<string, unknown>): Promise<void> => {
      writeFileSync(settingsFile, JSON.stringify(settings));
      await runCommand(page, 'MultiCodex Probe: Apply the Test Settings');
    };
    /** What the store says, read with the CLI (`multicodex --json <command>`). */
    const storedByCli = <T>(command: string): T => JSON.parse(
      execFileSync(python, ['-m', 'multicodex', '--home', home, '--json', command], { encoding: 'utf8', env: { ...process.env, ...emu.serverEnv(home) } }),
    ) as T;
    let activeEmail = '';
    await check('footer shows the active account and both percentages', async () => {
      const text = await waitForFooter(p, (t) => /5h \d+% left/.test(t) && /weekly \d+% left/.test(t) && emails.some((e) => t.includes(e)));
      activeEmail = emails.find((e) => text.includes(e)) as string;
      await p.locator(FOOTER).screenshot({ path: path.join(artifacts, 'footer.png') });
      await p.locator('[id="workbench.parts.statusbar"]').screenshot({ path: path.join(artifacts, 'statusbar.png') });
      return text;
    });

    await check('footer names the binding window with its reset time and the pool headroom', async () => {
      const text = await waitForFooter(p, (t) => BINDING_RESET.test(t) && POOL_HEADROOM.test(t));
      await p.locator(FOOTER).screenshot({ path: path.join(artifacts, 'footer-glance.png') });
      return text;
    });

    await check('tooltip lists every account, why the active one was chosen, and a bar per account and window with the pool', async () => {
      await p.locator(FOOTER).hover();
      const hover = p.locator('.monaco-hover:visible, .workbench-hover:visible').last();
      await hover.waitFor({ timeout: 15_000 });
      const text = await hover.innerText();
      await p.screenshot({ path: path.join(artifacts, 'tooltip.png') });
      for (const email of emails) {
        if (!text.includes(email)) {
          throw new Error(`tooltip misses ${email}: ${text}`);
        }
      }
      if (!text.includes('is active')) {
        throw new Error(`tooltip does not say which account is active: ${text}`);
      }
      const bars = text.split('\n').filter((line) => /[▰▱]{10} \d+% left/.test(line));
      if (bars.length < emails.length || !/binds first/.test(text) || !/pool\s+\d+(\.\d)?\/3 left/.test(text)) {
        throw new Error(`tooltip misses the bars, the binding window or the pool: ${text}`);
      }
      await p.mouse.move(800, 400);
      await p.keyboard.press('Escape');
      return `${text.split('\n').length} lines`;
    });

    await check('a usage threshold crossed is one notification, shown once; the highest is a warning', async () => {
      // Every account at 85% of its 5h window: the active one and the pool cross 80%.
      for (const account of await emu.accounts()) {
        await emu.setUsage(account.account_id, { five_hour_used: 85 });
      }
      await runCommand(p, 'MultiCodex: Refresh All Accounts');
      await waitForFooter(p, (t) => /5h 15% left/.test(t));
      const shown = await waitForToast(p, USAGE_NOTICE, 'the threshold notification');
      await fadedIn(p, p.locator('.notification-toast', { hasText: USAGE_NOTICE }).first()).catch(() => undefined);
      await p.screenshot({ path: path.join(artifacts, 'usage-notice.png') });
      await runCommand(p, 'Notifications: Clear All Notifications');
      // Another refresh, another status: the threshold stays crossed and is not told again.
      await runCommand(p, 'MultiCodex: Refresh All Accounts');
      await waitForToast(p, /MultiCodex: .*refreshed/i, 'the second refresh');
      const told = USAGE_NOTICE.exec(shown)?.[0] as string;
      const again = (await toastTexts(p)).filter((t) => t.includes(told));
      const logged = extensionLog(cs.userDataDir).split('\n').filter((line) => /Usage notice: /.test(line) && line.includes(told));
      if (again.length > 0 || logged.length !== 1) {
        throw new Error(`told ${logged.length} times (${again.length} toast(s) after the second refresh): ${logged.join(' | ')}`);
      }
      await runCommand(p, 'Notifications: Clear All Notifications');
      // Past 95%, the highest threshold: a warning.
      for (const account of await emu.accounts()) {
        await emu.setUsage(account.account_id, { five_hour_used: 96 });
      }
      await runCommand(p, 'MultiCodex: Refresh All Accounts');
      // Several notices at once may exceed the toasts shown: read it in the notification centre.
      await waitForLogLine(cs.userDataDir, /Usage notice: .* has used 96% of its 5h window/, 'the 95% notice');
      await runCommand(p, 'Notifications: Show Notifications');
      const highest = p.locator('.notifications-center .notification-list-item', { hasText: /has used 96% of its 5h window/ }).first();
      await highest.waitFor({ timeout: STEP_TIMEOUT_MS });
      const warning = await highest.locator('[class*="codicon-warning"], [class*="codicon-notifications-warning"]').count();
      if (warning === 0) {
        throw new Error(`the 95% notice is not a warning: ${await highest.innerHTML()}`);
      }
      await p.screenshot({ path: path.join(artifacts, 'usage-notice-warning.png') });
      await runCommand(p, 'Notifications: Clear All Notifications');
      return `${shown}; then a warning at 96%`;
    });

    await check('MultiCodex: Show Usage charts the usage history per account and window', async () => {
      const since = consoleLog.length;
      await runCommand(p, 'MultiCodex: Show Usage');
      const chart = p.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await chart.locator('.uplot canvas').first().waitFor({ timeout: STEP_TIMEOUT_MS });
      await waitFor(async () => {
        const text = (await chart.locator('.u-legend').allInnerTexts().catch(() => [])).join('\n');
        return emails.every((e) => text.includes(e)) ? text : undefined;
      }, 15_000, 'every account in the chart legend');
      const titles = await chart.locator('h2').allInnerTexts();
      await p.screenshot({ path: path.join(artifacts, 'usage-chart.png') });
      const blocked = consoleLog.slice(since).filter((line) => /Content Security Policy/i.test(line));
      if (blocked.length > 0) {
        throw new Error(`the content security policy blocked: ${blocked.join(' | ')}`);
      }
      await runCommand(p, 'View: Close All Editors');
      return `panels ${titles.join(', ')}; every account (${emails.length}) in the legend`;
    });

    let pinned = '';
    await check('picker lists every account; pinning another one changes the footer', async () => {
      await p.locator(FOOTER).click();
      await p.waitForSelector(QUICK_INPUT, { state: 'visible', timeout: 15_000 });
      const rows = await waitFor(async () => {
        const texts = await p.locator(QUICK_ROWS).allInnerTexts();
        return emails.every((e) => texts.some((t) => t.includes(e))) ? texts : undefined;
      }, 20_000, 'picker rows for every account');
      await p.screenshot({ path: path.join(artifacts, 'picker.png') });
      pinned = emails.find((e) => e !== activeEmail) as string;
      await typeInQuickInput(p, pinned);
      await p.keyboard.press('Enter');
      const text = await waitForFooter(p, (t) => t.includes(pinned));
      await p.locator(FOOTER).screenshot({ path: path.join(artifacts, 'footer-pinned.png') });
      return `${rows.length} rows; footer now: ${text}`;
    });

    await check('after Footer Settings, a crashed server restarts with the configured command and environment', async () => {
      await runCommand(p, 'MultiCodex: Footer Settings');
      await focusedQuickInput(p, 'Footer preview');
      // Usage display to "used" and back, each saved (to the store) before the next step.
      for (const mode of ['used', 'left']) {
        await p.keyboard.press('Enter');
        await waitForFooter(p, (t) => new RegExp(`5h \\d+% ${mode}`).test(t));
        await waitFor(() => (storedByCli<{ settings: { usage_mode: string } }>('footer').settings.usage_mode === mode ? true : undefined), 15_000, `usage mode ${mode} saved`);
      }
      await p.keyboard.press('Escape');
      const first = await waitFor(() => onlyServer(cs.pid), STEP_TIMEOUT_MS, 'one running server');
      process.kill(first.pid, 'SIGKILL');
      const restarted = await waitFor(() => onlyServer(cs.pid, first.pid), STEP_TIMEOUT_MS, 'the restarted server');
      const expected = [python, '-m', 'multicodex', 'serve'];
      if (JSON.stringify(restarted.argv) !== JSON.stringify(expected)) {
        throw new Error(`restarted as ${JSON.stringify(restarted.argv)}, not ${JSON.stringify(expected)}`);
      }
      for (const [name, value] of Object.entries(emu.serverEnv(home))) {
        if (restarted.env[name] !== value) {
          throw new Error(`restarted with ${name}=${restarted.env[name] ?? '(unset)'}, not ${value}`);
        }
      }
      const cause = await waitForLogLine(cs.userDataDir, /The MultiCodex server (.*); restarting in/, 'the logged reason of the crash');
      if (!/was killed by SIGKILL/.test(cause) || /disposed/.test(cause)) {
        throw new Error(`the crash is logged as: ${cause}`);
      }
      const text = await waitForFooter(p, (t) => emails.some((e) => t.includes(e)));
      return `server ${first.pid} killed ("${cause.replace(/^.*\] /, '')}"); ${restarted.pid} runs ${restarted.argv.join(' ')} with multicodex.server.env; footer: ${text}`;
    });

    await check('Ask streams an answer; exhausting the pinned account moves the footer on, saying why', async () => {
      const account = (await emu.accounts()).find((a) => a.email === pinned);
      await emu.setUsage(account!.account_id, { five_hour_used: 100 });
      await runCommand(p, 'MultiCodex: Ask');
      await typeInQuickInput(p, 'Say hello from the editor test.', 'MultiCodex: Ask');
      await p.keyboard.press('Enter');
      const text = await waitForFooter(p, (t) => emails.some((e) => e !== pinned && t.includes(e)));
      const answer = await waitFor(async () => {
        const lines = await p.locator('.editor-instance .view-lines').first().innerText().catch(() => '');
        return lines.trim().length > 0 ? lines : undefined;
      }, STEP_TIMEOUT_MS, 'the answer in the untitled editor');
      await p.screenshot({ path: path.join(artifacts, 'ask.png') });
      await p.locator(FOOTER).screenshot({ path: path.join(artifacts, 'footer-after-exhaustion.png') });
      const switched = await waitForLogLine(cs.userDataDir, /Ask: switched from \S+ to \S+: \S/, 'the switch and its reason');
      return `footer: ${text}; answer starts: ${answer.slice(0, 60)}; ${switched.replace(/^.*\] /, '')}`;
    });

    await check('vscode.lm: the probe extension streams an answer from a MultiCodex model', async () => {
      await runCommand(p, 'MultiCodex Probe: Ask the MultiCodex Model');
      const record = await waitFor(() => {
        if (!existsSync(probeFile)) {
          return undefined;
        }
        return JSON.parse(readFileSync(probeFile, 'utf8')) as { models: { vendor: string; id: string }[]; chunks: string[]; text: string; error?: string; vscodeVersion: string };
      }, 90_000, 'the probe record');
      copyFileSync(probeFile, path.join(artifacts, 'probe.json'));
      if (record.error) {
        throw new Error(`probe failed on VS Code ${record.vscodeVersion}: ${record.error}`);
      }
      if (!record.models.some((m) => m.vendor === 'multicodex') || record.chunks.length === 0 || !record.text) {
        throw new Error(`probe record incomplete: ${JSON.stringify(record)}`);
      }
      return `VS Code ${record.vscodeVersion}: ${record.models.length} model(s), ${record.chunks.length} chunk(s)`;
    });

    /** The agent record once the probe has written `phase`. */
    const agentRecord = (phase: AgentRecord['phase']): Promise<AgentRecord> => waitFor(() => {
      const record = existsSync(agentFile) ? (JSON.parse(readFileSync(agentFile, 'utf8')) as AgentRecord) : undefined;
      return record && (record.phase === phase || record.phase === 'done') ? record : undefined;
    }, 90_000, `the agent record (${phase})`);
    let agentSince = 0;
    await check('vscode.lm agent: a tool call; its account exhausted, the tool result is answered by another account with no error', async () => {
      agentSince = (await emu.requests(RESPONSES)).at(-1)?.id ?? 0;
      await runCommand(p, 'MultiCodex Probe: Run the Agent Turns');
      const called = await agentRecord('called');
      const call = called.calls[0];
      if (called.error || called.calls.length !== 1 || call?.name !== 'get_weather' || !call.callId) {
        throw new Error(`no tool call: ${JSON.stringify(called)}`);
      }
      const asked = (await emu.requests(RESPONSES)).filter((r) => r.id > agentSince && r.tool_calls.includes(call.callId));
      const served = (await emu.accounts()).find((a) => a.account_id === asked[0]?.account_id);
      if (!served) {
        throw new Error(`the emulator logged no answer with ${call.callId}`);
      }
      await emu.setUsage(served.account_id, { five_hour_used: 100 });
      writeFileSync(continueFile, 'go');
      const done = await agentRecord('done');
      copyFileSync(agentFile, path.join(artifacts, 'agent.json'));
      if (done.error) {
        throw new Error(`the tool-result turn failed: ${done.error}`);
      }
      const by = /^Hello from (\S+?)\.(?:\s|$)/.exec(done.finalText)?.[1];
      if (!by || by === served.email || !done.finalText.includes('tool said: -3 C, snow')) {
        throw new Error(`the tool-result turn was not answered by another account from the tool's result: ${done.finalText}`);
      }
      const answered = (await emu.requests(RESPONSES)).filter((r) => r.id > agentSince && r.tool_outputs.includes(call.callId));
      const statuses = answered.map((r) => `${r.account_id === served.account_id ? 'exhausted' : 'other'}:${r.status}`);
      const moved = await waitForLogLine(cs.userDataDir, /Chat \(.*\): the conversation moved from \S+ to \S+\./, 'the logged move of the conversation');
      await runCommand(p, 'MultiCodex: Show Logs');
      await p.screenshot({ path: path.join(artifacts, 'agent.png') });
      // The palette (F1) does not open from the output view: the editor gets the focus back.
      await p.locator('.editor-instance .view-lines').first().click();
      return `${done.model} (max input ${done.maxInputTokens}): ${call.name} ${call.callId} by ${served.email}; result answered by ${by} [${statuses.join(', ')}]; ${moved.replace(/^.*\] /, '')}`;
    });

    await check('vscode.lm: an image part reaches the emulator as input_image', async () => {
      const done = await agentRecord('done');
      if (done.imageError || !done.imageText) {
        throw new Error(`the image request failed: ${done.imageError ?? 'no text'}`);
      }
      const images = (await emu.requests(RESPONSES)).filter((r) => r.id > agentSince).flatMap((r) => r.images);
      if (!images.some((i) => i.source === 'data' && i.media_type === 'image/png' && (i.bytes ?? 0) > 0)) {
        throw new Error(`no input_image logged: ${JSON.stringify(images)}`);
      }
      return `${JSON.stringify(images)}; answer starts: ${done.imageText.slice(0, 40)}`;
    });

    await check('footer turns to the warning colour when the active account runs low', async () => {
      // Every account at 80% of its 5h window: whichever is active has 20% left (warning tier).
      for (const account of await emu.accounts()) {
        await emu.setUsage(account.account_id, { five_hour_used: 80 });
      }
      await runCommand(p, 'MultiCodex: Refresh All Accounts');
      const text = await waitForFooter(p, (t) => emails.some((e) => t.includes(e)) && /5h 20% left/.test(t));
      const classes = await waitFor(async () => {
        const value = (await p.locator(FOOTER).getAttribute('class')) ?? '';
        return value.includes('warning-kind') ? value : undefined;
      }, 15_000, 'the warning background');
      await p.locator(FOOTER).screenshot({ path: path.join(artifacts, 'footer-warning.png') });
      return `${text} [${classes}]`;
    });

    await check('Ask when no account can serve: no empty editor, the progress ends before the error', async () => {
      for (const account of await emu.accounts()) {
        await emu.setUsage(account.account_id, { five_hour_used: 100 });
      }
      const untitledBefore = (await editorTabs(p)).filter((t) => t.startsWith('Untitled'));
      await runCommand(p, 'MultiCodex: Ask');
      await typeInQuickInput(p, 'Anyone there?', 'MultiCodex: Ask');
      await p.keyboard.press('Enter');
      const error = await waitForToast(p, /MultiCodex: Ask failed/, 'the error of the Ask');
      // VS Code shows a progress for at least 800 ms; it must then go while the error is
      // still there, unanswered.
      await waitFor(async () => {
        const toasts = await toastTexts(p);
        return toasts.some((t) => /choosing an account|answering with|switched from/.test(t)) ? undefined : toasts;
      }, 10_000, 'the progress to close while the error is shown').catch(async (failure: Error) => {
        throw new Error(`${failure.message}: ${(await toastTexts(p)).join(' | ')}`);
      });
      if (!(await toastTexts(p)).some((t) => t.includes('MultiCodex: Ask failed'))) {
        throw new Error('the error went away with the progress');
      }
      const untitledAfter = (await editorTabs(p)).filter((t) => t.startsWith('Untitled'));
      await p.screenshot({ path: path.join(artifacts, 'ask-no-account.png') });
      if (untitledAfter.length !== untitledBefore.length) {
        throw new Error(`an editor was opened for no answer: ${untitledAfter.join(', ')}`);
      }
      await p.keyboard.press('Escape');
      // The server's words, the same `multicodex status` prints.
      const footer = await waitForFooter(p, (t) => /Codex · all accounts exhausted · next reset in \d/.test(t));
      return `${error}; footer: ${footer}`;
    });

    await check('the rotation panel shows every rotation setting and edits one', async () => {
      await runCommand(p, 'MultiCodex: Rotation Policy');
      await focusedQuickInput(p, 'MultiCodex rotation policy');
      const labels = ['Strategy', 'Retries on other accounts', 'Cooldown without a reset time', 'Sticky conversations', 'First output timeout', 'Stall timeout'];
      const rows = await waitFor(async () => {
        const texts = await p.locator(QUICK_ROWS).allInnerTexts();
        return labels.every((l) => texts.some((t) => t.includes(l))) ? texts : undefined;
      }, 15_000, 'a row for every rotation setting');
      await p.screenshot({ path: path.join(artifacts, 'rotation.png') });
      await pickRow(p, 'Retries on other accounts');
      await typeInQuickInput(p, '3', 'Retries on other accounts');
      await p.keyboard.press('Enter');
      await focusedQuickInput(p, 'MultiCodex rotation policy');
      const edited = await waitFor(async () => {
        const texts = await p.locator(QUICK_ROWS).allInnerTexts();
        return texts.find((t) => /Retries on other accounts\s*3\b/.test(t));
      }, 15_000, 'the panel showing 3 retries');
      const stored = storedByCli<{ policy: { retry_limit: number } }>('rotation');
      if (stored.policy.retry_limit !== 3) {
        throw new Error(`the CLI reads retry_limit ${stored.policy.retry_limit}`);
      }
      await p.keyboard.press('Escape');
      return `${rows.filter((r) => labels.some((l) => r.includes(l))).length} settings; ${edited.replace(/\s+/g, ' ')}; the CLI reads 3`;
    });

    await check('device-code login in the editor; its panel and progress close when it succeeds', async () => {
      await emu.updateSettings({ device_auto_approve_after: 10_000 });
      const fresh = await emu.createAccount('device-login@example.test');
      await runCommand(p, 'MultiCodex: Add Account');
      await focusedQuickInput(p, 'MultiCodex: Adding an account');
      await pickRow(p, 'device code');
      await focusedQuickInput(p, /Enter the code/);
      const title = await quickInputTitle(p);
      const code = /Enter the code (\S+) at/.exec(title)?.[1];
      if (!code) {
        throw new Error(`no code in the sign-in panel: ${title}`);
      }
      await waitForToast(p, new RegExp(`Adding an account.*${code}`), 'the progress with the code');
      await p.screenshot({ path: path.join(artifacts, 'device-login.png') });
      await emu.approveDevice(code, fresh.account_id);
      const added = await waitForToast(p, /MultiCodex: added device-login@example\.test/, 'the success message');
      await waitFor(async () => {
        const open = (await toastTexts(p)).filter((t) => /Adding an account/.test(t));
        const panel = await p.locator(QUICK_INPUT, { hasText: code }).isVisible().catch(() => false);
        return open.length === 0 && !panel ? true : undefined;
      }, 15_000, 'the sign-in panel and progress to close');
      await p.screenshot({ path: path.join(artifacts, 'device-login-done.png') });
      return `code ${code}; ${added}`;
    });

    await check('a server that cannot start: the footer tooltip gives its exit code and last stderr line', async () => {
      const serve = ['-m', 'multicodex', 'serve'];
      await applySettings(p, { 'multicodex.server.args': [...serve, '--no-such-option'] });
      // The footer alternates between "restarting…" (with the reason) and a start attempt.
      const tooltip = await waitFor(async () => {
        await waitForFooter(p, (t) => t.includes('restarting'));
        await p.locator(FOOTER).hover();
        const hover = p.locator('.monaco-hover:visible, .workbench-hover:visible', { hasText: /MultiCodex server/ }).last();
        const shown = await hover.waitFor({ timeout: 2500 }).then(() => true, () => false);
        // The picture first (once the hover has faded in): the footer soon moves on to the
        // next start attempt.
        const picture = shown ? await fadedIn(p, hover).then(() => p.screenshot()).catch(() => undefined) : undefined;
        const text = shown ? await hover.innerText({ timeout: 1000 }).catch(() => '') : '';
        if (/exited with code \d+: .*--no-such-option/.test(text)) {
          if (picture) {
            writeFileSync(path.join(artifacts, 'crash-tooltip.png'), picture);
          }
          return text;
        }
        await p.mouse.move(800, 400);
        return undefined;
      }, 45_000, 'the reason in the footer tooltip', 200);
      if (/disposed/.test(tooltip)) {
        throw new Error(`the tooltip speaks of the connection: ${tooltip}`);
      }
      await p.mouse.move(800, 400);
      await applySettings(p, { 'multicodex.server.args': serve });
      await waitForFooter(p, (t) => /5h \d+%/.test(t));
      return tooltip.split('\n')[0] ?? tooltip;
    });

    await check('nothing left the machine', async () => {
      if (offLoopback.length > 0) {
        throw new Error(`requests off loopback: ${offLoopback.slice(0, 10).join(', ')}`);
      }
      return 'every browser request went to 127.0.0.1';
    });
    writeFileSync(path.join(artifacts, 'browser-console.log'), consoleLog.join('\n'));
    return 0;
  } catch (error) {
    log(`error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    if (page) {
      await page.screenshot({ path: path.join(artifacts, 'failure.png') }).catch(() => undefined);
    }
    return 1;
  } finally {
    if (codeServer) {
      copyExtensionLogs(codeServer.userDataDir, artifacts);
    }
    await browser?.close().catch(() => undefined);
    await codeServer?.stop();
    await emulator?.stop();
    await stopAll();
    writeFileSync(
      path.join(artifacts, 'result.json'),
      JSON.stringify({ passed: checks.length > 0 && checks.every((c) => c.ok), seconds: (Date.now() - started) / 1000, checks }, null, 2),
    );
    if (!values.keep) {
      rmSync(root, { recursive: true, force: true });
    }
  }
}

interface ProbeFiles {
  readonly probeFile: string;
  readonly settingsFile: string;
  readonly agentFile: string;
  readonly continueFile: string;
}

function editorSettings(python: string, emulator: Emulator, home: string, files: ProbeFiles): Record<string, unknown> {
  return {
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    // No extensions.autoUpdate here: VS Code migrates its old boolean form by rewriting the
    // file, and the extension host then starts without any user settings. The gallery
    // points at a dead loopback port anyway.
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'npm.fetchOnlinePackageInfo': false,
    'chat.commandCenter.enabled': false,
    'multicodex.server.command': python,
    'multicodex.server.args': ['-m', 'multicodex', 'serve'],
    'multicodex.server.env': emulator.serverEnv(home),
    'multicodex.server.logLevel': 'info',
    'multicodexProbe.outputFile': files.probeFile,
    'multicodexProbe.settingsFile': files.settingsFile,
    'multicodexProbe.agentFile': files.agentFile,
    'multicodexProbe.continueFile': files.continueFile,
  };
}

/** What the probe's Run the Agent Turns writes (see e2e/probe/src/extension.ts). */
interface AgentRecord {
  phase: 'called' | 'done';
  model: string;
  maxInputTokens: number;
  calls: { callId: string; name: string; input: object }[];
  firstText: string;
  finalText: string;
  imageText: string;
  error?: string;
  imageError?: string;
}

/** Waits until the element and its ancestors are fully opaque (VS Code fades hovers in). */
async function fadedIn(page: Page, element: Locator): Promise<void> {
  const handle = await element.elementHandle();
  await page.waitForFunction((node: StyledNode | null) => {
    const view = globalThis as unknown as { getComputedStyle(n: StyledNode): { opacity: string } };
    for (let n = node; n; n = n.parentElement) {
      if (view.getComputedStyle(n).opacity !== '1') {
        return false;
      }
    }
    return node !== null;
  }, handle as unknown as StyledNode, { timeout: 2000 });
}

/** The little of a DOM element that fadedIn reads (the test has no DOM types). */
interface StyledNode {
  readonly parentElement: StyledNode | null;
}

/** The one `multicodex serve` below code-server (other than `not`), if exactly one runs. */
function onlyServer(codeServerPid: number, not?: number): ServerProcess | undefined {
  const found = serverProcessesBelow(codeServerPid).filter((server) => server.pid !== not);
  return found.length === 1 ? found[0] : undefined;
}

function removeEarlierArtifacts(artifacts: string): void {
  for (const name of readdirSync(artifacts)) {
    if (OWN_ARTIFACT.test(name)) {
      rmSync(path.join(artifacts, name), { force: true });
    }
  }
}

function copyExtensionLogs(userDataDir: string, artifacts: string): void {
  const logs = path.join(userDataDir, 'logs');
  if (!existsSync(logs)) {
    return;
  }
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) {
        walk(file);
      } else if (/MultiCodex.*\.log$|exthost\.log$/.test(name)) {
        copyFileSync(file, path.join(artifacts, `${path.basename(dir)}-${name}`));
      }
    }
  };
  walk(logs);
}

function required(value: string | undefined, flag: string): string {
  if (!value) {
    throw new Error(`${flag} is required`);
  }
  return value;
}

const deadline = setTimeout(() => {
  log(`overall timeout (${OVERALL_TIMEOUT_MS / 1000} s)`);
  void stopAll().finally(() => process.exit(2));
}, OVERALL_TIMEOUT_MS);

main().then(
  (code) => {
    clearTimeout(deadline);
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    clearTimeout(deadline);
    void stopAll().finally(() => process.exit(1));
  },
);
