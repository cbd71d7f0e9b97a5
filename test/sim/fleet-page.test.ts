import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../model/scenario.js';
import { simulate } from '../../sim/engine.js';
import { writeRunOutputs } from '../../controller/experiment/experiment.js';
import { FEEDBACK_LISTED } from '../../controller/experiment/story.js';
import { APPS_CHARTED } from '../../controller/experiment/html/run-page.js';
import { chromiumSkipNote, haveChromium, launchChromium, openFileOffline } from '../helpers/browser.js';

/*
 * A fog-scale run end to end: 1,000 nodes (every pair linked) and an app on each, simulated, its
 * report written and its page opened in the real headless Chromium, offline.
 */
const dir = mkdtempSync(join(tmpdir(), 'fogsim-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fleet(n: number) {
  const nodes = Array.from({ length: n }, (_, i) => ({ id: i + 1, availability: 60 + ((i * 37) % 40) }));
  const links: { from: number; to: number; latencyMs: number }[] = [];
  for (let a = 1; a <= n; a++) for (let b = a + 1; b <= n; b++) links.push({ from: a, to: b, latencyMs: 50 + ((a * 7919 + b * 104_729) % 1950) });
  const apps = nodes.map((x) => ({ id: x.id, node: x.id, goal: { all: [{ metric: 'responseTime', max: 1500 }, { metric: 'availability', min: 80 }] } }));
  return parseScenario({ name: `fleet-${n}`, seed: 3, nodes, links, apps, dataset: { records: 20_000, node: 1 }, timing: { arrivalMeanMs: 10_000, arrivalSdMs: 1000, feedbackWindowMs: 60_000 } });
}

describe(`a 1,000-node run's report and page${chromiumSkipNote}`, () => {
  const scenario = fleet(1000);
  const { report, runs } = simulate(scenario, { durationS: 40, stopAtConvergence: false });
  const out = writeRunOutputs(join(dir, 'report.json'), report, runs);

  it('the report holds every app and counts all feedback while listing the first of each event', () => {
    const r = JSON.parse(readFileSync(out.reportFile, 'utf8')) as typeof report;
    expect(r.apps).toHaveLength(1000);
    expect(r.runs).toBe(runs.length);
    expect(r.events.length).toBeGreaterThan(10);
    const counted = r.events.reduce((n, e) => n + e.feedbackCount, 0);
    expect(counted).toBe(r.story.checks.feedbackRows);
    // hundreds of apps read the copy an event moved: more feedback than a report lists
    expect(r.events.some((e) => e.feedbackCount > FEEDBACK_LISTED)).toBe(true);
    for (const e of r.events) expect(e.feedback.length).toBe(Math.min(e.feedbackCount, FEEDBACK_LISTED));
  });

  it.skipIf(!haveChromium)('the page opens offline and shows the fleet, every app in its table and the apps longest in violation', async () => {
    // the fleet, not a thousand charts: a page a browser opens
    expect(statSync(out.htmlFile).size).toBeLessThan(6_000_000);
    const browser = await launchChromium();
    try {
      const { page, errors } = await openFileOffline(browser, out.htmlFile);
      await expect(page.locator('h2', { hasText: 'The fleet: 1000 apps' }).count()).resolves.toBe(1);
      const fleetCharts = page.locator('svg.chart.line[aria-label="runs violating their goal (%)"]');
      expect((await fleetCharts.boundingBox())?.width).toBeGreaterThan(100);
      // the share of violated runs is drawn: a path with points
      await expect(fleetCharts.locator('path, polyline').count()).resolves.toBeGreaterThan(0);
      await page.locator('details summary', { hasText: 'every app (1000)' }).click();
      await expect(page.locator('table.apps tr').count()).resolves.toBe(1001);
      const worst = Object.entries(report.story.violatedS).sort((a, b) => b[1] - a[1] || Number(a[0]) - Number(b[0]))[0][0];
      const headings = await page.locator('h3').allTextContents();
      expect(headings.filter((h) => /^app \d+/.test(h))).toHaveLength(APPS_CHARTED);
      expect(headings[0]).toMatch(new RegExp(`^app ${worst}\\b`));
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
