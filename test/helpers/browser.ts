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

/**
 * A vertical line on a Chart.js chart (the dashboard's marks, controller/ui/charts.js): how many
 * pixel rows of the chart's area show colour `rgb` ([r, g, b], within 40 per channel) within
 * 2 device pixels of the x axis value `x`, out of the area's height, and whether x is inside it.
 */
export function lineOnChart(page: Page, canvasSelector: string, x: number, rgb: [number, number, number]): Promise<{ hits: number; height: number; inside: boolean }> {
  return page.evaluate(
    ({ sel, x, rgb }) => {
      const canvas = document.querySelector(sel) as HTMLCanvasElement;
      const chart = (globalThis as any).Chart.getChart(canvas);
      const px = chart.scales.x.getPixelForValue(x);
      const dpr = chart.currentDevicePixelRatio;
      const { top, bottom, left, right } = chart.chartArea;
      const ctx = canvas.getContext('2d')!;
      let hits = 0;
      for (let y = Math.ceil(top); y < bottom; y++) {
        // the 1.5 px stroke straddles px: look at the device pixels around it
        const row = ctx.getImageData(Math.round(px * dpr) - 2, Math.round(y * dpr), 5, 1).data;
        let hit = false;
        for (let i = 0; i < row.length; i += 4) if (row[i + 3] > 100 && Math.abs(row[i] - rgb[0]) < 40 && Math.abs(row[i + 1] - rgb[1]) < 40 && Math.abs(row[i + 2] - rgb[2]) < 40) hit = true;
        if (hit) hits++;
      }
      return { hits, height: bottom - top, inside: px >= left && px <= right };
    },
    { sel: canvasSelector, x, rgb },
  );
}
