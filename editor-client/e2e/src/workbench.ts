// Driving VS Code's workbench in the browser: the footer, the command palette, quick inputs
// (always waiting for the keyboard focus before typing) and notification toasts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { waitFor } from '../../test/support/processes';

export const FOOTER = '[id="multicodex.multicodex.footer"]';
export const QUICK_INPUT = '.quick-input-widget';
export const QUICK_ROWS = '.quick-input-widget .monaco-list-row';
const QUICK_TITLE = '.quick-input-widget .quick-input-title';
const TOASTS = '.notifications-toasts .notification-toast';
export const STEP_TIMEOUT_MS = 60_000;
const UI_TIMEOUT_MS = 15_000;

/** Browser-side: the text field of a visible quick input holds the keyboard focus. */
const FOCUSED_QUICK_INPUT = `(() => {
  const active = document.activeElement;
  return active instanceof HTMLInputElement && active.closest('.quick-input-widget') !== null
    && active.offsetParent !== null;
})()`;

export async function waitForFooter(page: Page, predicate: (text: string) => boolean): Promise<string> {
  return waitFor(async () => {
    const text = (await page.locator(FOOTER).innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
    return predicate(text) ? text : undefined;
  }, STEP_TIMEOUT_MS, 'the footer', 250).catch(async (error: Error) => {
    const text = await page.locator(FOOTER).innerText().catch(() => '(no footer)');
    throw new Error(`${error.message}; footer reads: ${text}`);
  });
}

/** Waits until the quick input titled `title` (any, when omitted) has the keyboard focus. */
export async function focusedQuickInput(page: Page, title?: string | RegExp): Promise<void> {
  if (title !== undefined) {
    await page.locator(QUICK_TITLE, { hasText: title }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  }
  await page.waitForFunction(FOCUSED_QUICK_INPUT, undefined, { timeout: UI_TIMEOUT_MS });
}

/** Types into the focused quick input and checks the text arrived there. */
export async function typeInQuickInput(page: Page, text: string, title?: string | RegExp): Promise<void> {
  await focusedQuickInput(page, title);
  await page.keyboard.type(text);
  const arrived = `(document.activeElement instanceof HTMLInputElement) && document.activeElement.value.endsWith(${JSON.stringify(text)})`;
  await page.waitForFunction(arrived, undefined, { timeout: UI_TIMEOUT_MS }).catch(async () => {
    const value = await page.evaluate('document.activeElement && document.activeElement.value').catch(() => '?');
    throw new Error(`typed ${JSON.stringify(text)} but the focused input holds ${JSON.stringify(value)}`);
  });
}

/** Runs a command from the palette, clicking its row (recently used ones may sort first). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await page.waitForFunction(
    `${FOCUSED_QUICK_INPUT} && document.activeElement.value.startsWith('>')`,
    undefined,
    { timeout: UI_TIMEOUT_MS },
  );
  await typeInQuickInput(page, title);
  const row = page.locator(QUICK_ROWS, { hasText: new RegExp(`^\\s*${escapeRegExp(title)}`) }).first();
  await row.waitFor({ timeout: UI_TIMEOUT_MS });
  await row.click();
}

/** Clicks the quick input row whose text matches. */
export async function pickRow(page: Page, text: string | RegExp): Promise<void> {
  const row = page.locator(QUICK_ROWS, { hasText: text }).first();
  await row.waitFor({ timeout: UI_TIMEOUT_MS });
  await row.click();
}

export async function quickInputTitle(page: Page): Promise<string> {
  return (await page.locator(QUICK_TITLE).first().innerText().catch(() => '')).trim();
}

/** The texts of the visible notification toasts. */
export async function toastTexts(page: Page): Promise<string[]> {
  const texts = await page.locator(TOASTS).allInnerTexts().catch(() => []);
  return texts.map((t) => t.replace(/\s+/g, ' ').trim());
}

export async function waitForToast(page: Page, text: RegExp, what: string): Promise<string> {
  return waitFor(async () => (await toastTexts(page)).find((t) => text.test(t)), STEP_TIMEOUT_MS, what, 200);
}

/** The titles of the open editor tabs. */
export async function editorTabs(page: Page): Promise<string[]> {
  return (await page.locator('.tabs-container .tab').allInnerTexts().catch(() => [])).map((t) => t.trim());
}

/** The extension's own log (its LogOutputChannel), as code-server wrote it so far. */
export function extensionLog(userDataDir: string): string {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) {
        walk(file);
      } else if (name === 'MultiCodex.log' && path.basename(dir) === 'multicodex.multicodex') {
        found.push(readFileSync(file, 'utf8'));
      }
    }
  };
  const logs = path.join(userDataDir, 'logs');
  if (existsSync(logs)) {
    walk(logs);
  }
  return found.join('\n');
}

/** Waits until the extension's log has a line matching `pattern`; returns that line. */
export function waitForLogLine(userDataDir: string, pattern: RegExp, what: string): Promise<string> {
  return waitFor(
    () => extensionLog(userDataDir).split('\n').find((line) => pattern.test(line)),
    UI_TIMEOUT_MS,
    what,
    250,
  );
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
