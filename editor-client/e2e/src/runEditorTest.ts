// The real-editor test: code-server with the packaged extension, driven by headless
// Chromium through Playwright, with the real `multicodex serve` against the emulator.
//
//   node out/e2e/runEditorTest.js --manifest build/editor-test.json --artifacts ../test-artifacts/editor --python ../.venv/bin/python
//
// Exit code 0 when every check passed. Writes result.json, screenshots and logs to the
// artifacts directory. Loopback only; every process it starts is stopped before it exits.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Emulator } from '../../test/support/emulator';
import { stopAll, waitFor } from '../../test/support/processes';
import { seedAccounts, ServerSession } from '../../test/support/server';
import { CodeServer, type Manifest } from './codeServer';

const FOOTER = '[id="multicodex.multicodex.footer"]';
const QUICK_INPUT = '.quick-input-widget';
const QUICK_ROWS = '.quick-input-widget .monaco-list-row';
const OVERALL_TIMEOUT_MS = 300_000;
const STEP_TIMEOUT_MS = 60_000;

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
  const root = mkdtempSync(path.join(tmpdir(), 'multicodex-editor-'));
  const home = path.join(root, 'multicodex-home');
  const probeFile = path.join(root, 'probe.json');
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

    codeServer = await CodeServer.start(manifest, root, editorSettings(python, emulator, home, probeFile), path.join(artifacts, 'code-server.log'));
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
      if (!/^(https?|wss?):\/\/(127\.0\.0\.1|localhost)[:/]/.test(url) && !/^(data|blob|about|vscode-\w+):/.test(url)) {
        offLoopback.push(url);
      }
    });
    page = await context.newPage();
    const consoleLog: string[] = [];
    page.on('console', (message) => consoleLog.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => consoleLog.push(`[pageerror] ${error.message}`));
    await page.goto(codeServer.url);
    await page.waitForSelector('.monaco-workbench', { timeout: STEP_TIMEOUT_MS });
    log('workbench loaded');

    const p = page;
    let activeEmail = '';
    await check('footer shows the active account and both percentages', async () => {
      const text = await waitForFooter(p, (t) => /5h:\s*\d+%/.test(t) && /7d:\s*\d+%/.test(t) && emails.some((e) => t.includes(e)));
      activeEmail = emails.find((e) => text.includes(e)) as string;
      await p.locator(FOOTER).screenshot({ path: path.join(artifacts, 'footer.png') });
      await p.locator('[id="workbench.parts.statusbar"]').screenshot({ path: path.join(artifacts, 'statusbar.png') });
      return text;
    });

    await check('tooltip lists every account and why the active one was chosen', async () => {
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
      await p.mouse.move(800, 400);
      await p.keyboard.press('Escape');
      return `${text.split('\n').length} lines`;
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
      await p.keyboard.type(pinned);
      await p.keyboard.press('Enter');
      const text = await waitForFooter(p, (t) => t.includes(pinned));
      await p.locator(FOOTER).screenshot({ path: path.join(artifacts, 'footer-pinned.png') });
      return `${rows.length} rows; footer now: ${text}`;
    });

    await check('Ask streams an answer; exhausting the pinned account moves the footer on', async () => {
      const account = (await emulator!.accounts()).find((a) => a.email === pinned);
      await emulator!.setUsage(account!.account_id, { five_hour_used: 100 });
      await runCommand(p, 'MultiCodex: Ask');
      await p.waitForSelector(`${QUICK_INPUT} input`, { state: 'visible', timeout: 15_000 });
      await p.keyboard.type('Say hello from the editor test.');
      await p.keyboard.press('Enter');
      const text = await waitForFooter(p, (t) => emails.some((e) => e !== pinned && t.includes(e)));
      const answer = await waitFor(async () => {
        const lines = await p.locator('.editor-instance .view-lines').first().innerText().catch(() => '');
        return lines.trim().length > 0 ? lines : undefined;
      }, STEP_TIMEOUT_MS, 'the answer in the untitled editor');
      await p.screenshot({ path: path.join(artifacts, 'ask.png') });
      await p.locator(FOOTER).screenshot({ path: path.join(artifacts, 'footer-after-exhaustion.png') });
      return `footer: ${text}; answer starts: ${answer.slice(0, 60)}`;
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

    await check('footer turns to the warning colour when the active account runs low', async () => {
      // Every account at 80% of its 5h window: whichever is active has 20% left (warning tier).
      for (const account of await emulator!.accounts()) {
        await emulator!.setUsage(account.account_id, { five_hour_used: 80 });
      }
      await runCommand(p, 'MultiCodex: Refresh All Accounts');
      const text = await waitForFooter(p, (t) => emails.some((e) => t.includes(e)) && /5h:20% left/.test(t));
      const classes = await waitFor(async () => {
        const value = (await p.locator(FOOTER).getAttribute('class')) ?? '';
        return value.includes('warning-kind') ? value : undefined;
      }, 15_000, 'the warning background');
      await p.locator(FOOTER).screenshot({ path: path.join(artifacts, 'footer-warning.png') });
      return `${text} [${classes}]`;
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

function editorSettings(python: string, emulator: Emulator, home: string, probeFile: string): Record<string, unknown> {
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
    'multicodexProbe.outputFile': probeFile,
  };
}

async function waitForFooter(page: Page, predicate: (text: string) => boolean): Promise<string> {
  return waitFor(async () => {
    const text = (await page.locator(FOOTER).innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
    return predicate(text) ? text : undefined;
  }, STEP_TIMEOUT_MS, 'the footer', 250).catch(async (error: Error) => {
    const text = await page.locator(FOOTER).innerText().catch(() => '(no footer)');
    throw new Error(`${error.message}; footer reads: ${text}`);
  });
}

async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await page.waitForSelector(`${QUICK_INPUT} input`, { state: 'visible', timeout: 15_000 });
  await page.keyboard.type(title);
  // Click the row itself: recently used commands may sort above the one typed.
  const row = page.locator(QUICK_ROWS, { hasText: new RegExp(`^\\s*${escapeRegExp(title)}`) }).first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
