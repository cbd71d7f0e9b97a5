import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/*
 * The real headless browser of the UI and page suites: Debian's chromium through playwright-core.
 * Missing in CI it is a failure with the fix, never a skip (.ci/run installs it).
 */
export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing; .ci/run installs Debian's chromium package, the browser suite must run in CI`);

/** What a skipped suite says when the browser is missing (outside CI). */
export const chromiumSkipNote = haveChromium ? '' : ` (skipped: ${CHROMIUM} not installed; apt-get install chromium)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
}

/** A page on a file, offline: any request beyond the file fails it; page errors and fetches are collected. */
export async function openFileOffline(browser: Browser, file: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(/^(?!file:)/, (r) => {
    errors.push(`fetched ${r.request().url()}`);
    return r.abort();
  });
  await page.goto(`file://${file}`);
  return { page, errors };
}
