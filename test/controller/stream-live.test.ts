/**
 * The stream apps live (issue 19 item 3): a session with a short stream scenario on the embedded
 * stack (embedded store, object store and bus; no node processes) starts its stream app, each
 * closed window goes out on /api/stream as `stream-window` with its metrics and aggregates,
 * GET /api/stream-apps holds the latest windows (each with its aggregates) and the actions, and
 * the dashboard in headless Chromium plots the windows and their aggregates as they come, has
 * them back after a reload, and tables the latest aggregates.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession, type Session } from '../../controller/session.js';
import { startControllerServer, type RunningController } from '../../controller/server.js';
import type { StreamAppsSnapshot, StreamWindowEvent } from '../../stream/app/run.js';
import { readInfraConfig } from '../../util/config.js';
import { groupSeries } from '../../controller/experiment/html/stream-section.js';
import type { Page } from 'playwright-core';
import { chromiumSkipNote, haveChromium, launchChromium } from '../helpers/browser.js';
import { readStream } from '../helpers/sse.js';

const dir = mkdtempSync(join(tmpdir(), 'fogsim-stream-live-'));
const scenarioFile = join(dir, 'stream-live.yaml');
writeFileSync(
  scenarioFile,
  `name: stream-live
seed: 1
nodes: [{ id: 1, availability: 99 }]
dataset: { node: 1, records: 300 }
timing: { feedbackWindowMs: 2000 }
apps:
  - { kind: stream, id: 1, topic: live, windowS: 0.5, workers: 1, maxWorkers: 4, costMs: 2, goal: { metric: latency, max: 1500 }, scale: { rule: autoscaler, violationsInARow: 3 } }
workloads:
  - { id: feed, topic: live, partitions: 4, source: { kind: bloodtests }, rate: 100, batch: 10, rateSteps: [{ at: 1, rate: 150 }] }
`,
);

type Line = { label: string; points: { x: number; y: number | null }[] };
type Card = { rates: number; cholesterol: Line[]; counts: Line[]; marks: Record<string, { x: number; label: string }[]> };
const cardOf = (page: Page) => page.evaluate(() => (window as unknown as { fogsimStreamPoints(): Record<string, Card> }).fogsimStreamPoints()['1']);

/**
 * The aggregate lines the dashboard should hold for the windows it has shown (those between the
 * first and the latest x on its charts), from the API's windows: per group the run page's lines
 * (stream-section.ts groupSeries, checked against the report's groups in stream-page.test.ts).
 */
async function wantedLines(url: string, [firstX, lastX]: [number, number]): Promise<{ cholesterol: Line[]; counts: Line[] }> {
  const snap = (await (await fetch(`${url}/api/stream-apps?limit=1000`)).json()) as StreamAppsSnapshot;
  const lines = groupSeries(snap.apps[0].windows.filter((w) => w.endS >= firstX && w.endS <= lastX));
  return {
    cholesterol: lines.map((g) => ({ label: g.label, points: g.points.map((p) => ({ x: p.x, y: p.avgCholesterol })) })),
    counts: lines.map((g) => ({ label: g.label, points: g.points.map((p) => ({ x: p.x, y: p.count })) })),
  };
}

describe('stream apps on the live API and dashboard (embedded stack)', () => {
  let session: Session;
  let srv: RunningController;
  const lines: string[] = [];

  beforeAll(async () => {
    const cfg = readInfraConfig({ FOGSIM_DATA_DIR: join(dir, 'data') });
    session = await startSession({ scenarioFile, cfg, runtime: 'none', train: false, infraOptions: { proxyPort: 0 }, log: (l) => lines.push(l) });
    srv = await startControllerServer({ store: session.infra.store, scenario: session.scenario, operations: session.operations, streams: session.streams, port: 0, pollMs: 200 });
  }, 60_000);

  afterAll(async () => {
    await srv?.close();
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the session started the stream app (the same bring-up as fogsim run)', () => {
    expect(session.streams?.apps.map((a) => a.spec.id)).toEqual([1]);
    expect(lines.some((l) => /1 stream app\(s\) started on the embedded bus/.test(l))).toBe(true);
  });

  it('each closed window goes out as stream-window with the app, its metrics and its aggregates', async () => {
    const got = await readStream(srv.url, (evs) => evs.filter((e) => e.event === 'stream-window').length >= 2, 10_000);
    const windows = got.filter((e) => e.event === 'stream-window').map((e) => e.data as StreamWindowEvent);
    expect(windows.length).toBeGreaterThanOrEqual(2);
    const [a, b] = windows;
    expect(a.appId).toBe(1);
    expect(a.topic).toBe('live');
    expect(a.goal).toBe('latency <= 1500');
    expect(b.window.index).toBe(a.window.index + 1);
    for (const k of ['inputRate', 'throughput', 'throughputPerWorker', 'busyFraction', 'latencyP50', 'latencyP95', 'lag', 'goalMet', 'action', 'workers']) expect(b.window).toHaveProperty(k);
    // the aggregates: count and average cholesterol by gender and age band, summing to the records processed
    const w = windows.find((x) => x.window.processed > 0)!;
    expect(w).toBeDefined();
    expect(w.groups.reduce((n, g) => n + g.count, 0)).toBe(w.window.processed);
    for (const g of w.groups) {
      expect(Object.keys(g).sort()).toEqual(['ageBand', 'avgCholesterol', 'count', 'gender']);
      expect(typeof g.avgCholesterol === 'number' || g.avgCholesterol === null).toBe(true);
    }
    expect(w.action).toBeNull();
  });

  it('GET /api/stream-apps: the latest windows per app, its actions and the latest aggregates; limit bounds the windows', async () => {
    const snap = (await (await fetch(`${srv.url}/api/stream-apps`)).json()) as StreamAppsSnapshot;
    expect(snap.bus).toBe('embedded');
    expect(snap.apps).toHaveLength(1);
    const app = snap.apps[0];
    expect(app).toMatchObject({ id: 1, topic: 'live', goal: 'latency <= 1500', windowS: 0.5, workers: 1, maxWorkers: 4, rule: 'autoscaler', actions: [] });
    expect(app.windows.length).toBeGreaterThan(1);
    expect(app.windowCount).toBe(app.windows.length);
    expect(app.groups.length).toBeGreaterThan(0);
    // each window keeps its aggregates, which sum to what it processed; the latest's are `groups`
    for (const w of app.windows) expect(w.groups.reduce((n, g) => n + g.count, 0)).toBe(w.processed);
    expect(app.groups).toEqual(app.windows.at(-1)!.groups);
    // the rate step on the app's clock: the producers start after the app (stream/app/run.ts), so a little after its `at`
    expect(app.rateSteps).toHaveLength(1);
    expect(app.rateSteps[0]).toMatchObject({ workload: 'feed', at: 1, rate: 150 });
    expect(app.rateSteps[0].atS).toBeGreaterThanOrEqual(1);
    expect(app.rateSteps[0].atS).toBeLessThan(3);
    const one = (await (await fetch(`${srv.url}/api/stream-apps?limit=1`)).json()) as StreamAppsSnapshot;
    expect(one.apps[0].windows).toHaveLength(1);
    expect(one.apps[0].windows[0].index).toBeGreaterThanOrEqual(app.windows.at(-1)!.index);
    const bad = await fetch(`${srv.url}/api/stream-apps?limit=0`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('limit');
  });

  it.skipIf(!haveChromium)(`the dashboard plots the stream app's windows live and tables the latest aggregates${chromiumSkipNote}`, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${srv.url}/dashboard`);
      await page.locator('#stream-1').waitFor({ timeout: 10_000 });
      expect(await page.locator('#stream-apps').isVisible()).toBe(true);
      const points = () => page.evaluate(() => (window as unknown as { fogsimStreamPoints(): Record<string, { latency: number; rates: number; workers: number }> }).fogsimStreamPoints()['1']);
      const first = await points();
      // live: the charts get points from stream-window events after the page loaded
      await expect.poll(async () => (await points()).rates, { timeout: 10_000 }).toBeGreaterThan(first.rates + 2);
      const now = await points();
      expect(now.workers).toBe(now.rates);
      expect(now.latency).toBeGreaterThan(0);
      for (const label of ['latency', 'rates', 'workers']) expect((await page.locator(`canvas[aria-label="stream app 1 ${label}"]`).boundingBox())?.height).toBeGreaterThan(100);
      await expect.poll(() => page.locator('#stream-1-groups tbody tr').count()).toBeGreaterThan(0);
      const head = await page.locator('#stream-1-groups thead th').allTextContents();
      expect(head).toEqual(['gender', 'age band', 'count', 'avg cholesterol']);
      await expect.poll(() => page.locator('#stream-1-status').textContent()).toMatch(/goal (met|violated)/);
      expect(await page.locator('#stream-1-last').textContent()).toMatch(/^window \d+ /);
      // the rate step is marked on every chart (the five), where the API puts it, once a window has reached it
      const [step] = ((await (await fetch(`${srv.url}/api/stream-apps?limit=1`)).json()) as StreamAppsSnapshot).apps[0].rateSteps;
      const marks = async () => (await cardOf(page)).marks;
      await expect.poll(async () => Object.entries(await marks()).map(([k, m]) => `${k}: ${m.map((x) => `${x.label}@${x.x}`)}`), { timeout: 10_000 }).toEqual(
        ['latency', 'rates', 'workers', 'cholesterol', 'counts'].map((k) => `${k}: 150/s@${step.atS}`),
      );

      // the aggregates: one line per group in each chart, a point per window, the API's values;
      // the windows that came by stream-window after the load as well as the history
      const aggregates = async () => {
        const c = await cardOf(page);
        const xs = c.counts.flatMap((l) => l.points.map((p) => p.x));
        return { shown: { cholesterol: c.cholesterol, counts: c.counts }, want: await wantedLines(srv.url, [Math.min(...xs), Math.max(...xs)]), rates: c.rates };
      };
      const live = await aggregates();
      expect(live.rates).toBeGreaterThan(first.rates + 2);
      expect(live.shown.counts.map((l) => l.label).sort()).toEqual(['F · unknown', 'M · unknown']);
      expect(live.shown).toEqual(live.want);
      // a point per window from the group's first (the first windows may have had no records yet)
      for (const l of [...live.shown.counts, ...live.shown.cholesterol]) {
        expect(l.points.length).toBeGreaterThan(3);
        expect(l.points.length).toBeLessThanOrEqual(live.rates);
      }
      for (const label of ['average cholesterol', 'records by group']) expect((await page.locator(`canvas[aria-label="stream app 1 ${label}"]`).boundingBox())?.height).toBeGreaterThan(100);

      // a reload brings the history back from GET /api/stream-apps
      await page.reload();
      await page.locator('#stream-1').waitFor({ timeout: 10_000 });
      await expect.poll(async () => (await cardOf(page)).rates, { timeout: 10_000 }).toBeGreaterThanOrEqual(live.rates);
      const back = await aggregates();
      expect(back.shown).toEqual(back.want);
      for (const [i, l] of back.shown.counts.entries()) {
        expect(l.points.length).toBeGreaterThanOrEqual(live.shown.counts[i]!.points.length);
        // from the same first window as before the reload
        expect(l.points[0]).toEqual(live.shown.counts[i]!.points[0]);
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
