import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

/** Debian's chromium, installed by .ci/run; never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Screenshots of the console tests (git-ignored; CI keeps the folder as an artifact). */
export const SCREENSHOT_DIR = resolve(__dirname, '../../../artifacts/screenshots');

/** A headless Chromium with its own throw-away profile. */
export interface ConsoleBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * Starts Debian's Chromium headless at `width`×800. Fails loudly when the browser is missing: a console
 * test must never turn into a silent skip.
 */
export async function openConsoleBrowser(width = 1280): Promise<ConsoleBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it)`);
  const profile = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the login form and waits for the overview. */
export async function signIn(page: Page, baseUrl: string, user: { username: string; password: string }): Promise<void> {
  await page.goto(`${baseUrl}/admin/login`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${baseUrl}/admin`);
}

/** Writes `artifacts/screenshots/<name>.png` (full page). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** The document's scroll width and the viewport's width: the page scrolls sideways when the first is larger. */
export async function widths(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  // Runs in the page (this project compiles without the DOM library, hence the globalThis look-ups).
  return page.evaluate(() => {
    const g = globalThis as any;
    return { scrollWidth: g.document.scrollingElement.scrollWidth as number, innerWidth: g.innerWidth as number };
  });
}

/** Form controls a person can reach that have no accessible label (label element, aria-label or aria-labelledby). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from((globalThis as any).document.querySelectorAll('input:not([type=hidden]), select, textarea') as ArrayLike<any>)
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => String(el.outerHTML).slice(0, 120)),
  );
}

/** The focused element's text and id (in the page). */
export async function focused(page: Page): Promise<{ text: string | null; id: string | null }> {
  return page.evaluate(() => {
    const el = (globalThis as any).document.activeElement;
    return { text: el?.textContent ?? null, id: el?.id ?? null };
  });
}
