import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkipNote, haveChromium, launchChromium, lineOnChart } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControllerServer, type RunningController } from '../../controller/server.js';
import { makeRun, seedRealistic, seedStreamHistory, tempStore, type TempStore } from './fixtures.js';
import { groupSeries } from '../../controller/experiment/html/stream-section.js';

/*
 * The admin page and the dashboard in a real headless Chromium (Debian's package, driven by
 * playwright-core), against a controller on a real SqliteStore seeded with a realistic run.
 * Also saves docs/screenshots/admin.png and dashboard.png for the README.
 */
const shots = new URL('../../docs/screenshots/', import.meta.url).pathname;
// A fixed clock for the seeded history keeps the screenshots byte-stable between runs.
const SEED_END_MS = Date.UTC(2026, 10, 20, 14, 30, 0);

describe.skipIf(!haveChromium)(`admin UI and dashboard in headless Chromium${chromiumSkipNote}`, () => {
  let t: TempStore;
  let srv: RunningController;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    t = await tempStore();
    await seedRealistic(t.store, t.scenario, SEED_END_MS);
    srv = await startControllerServer({ store: t.store, scenario: t.scenario, port: 0, pollMs: 200 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`${m.text()} ${m.location().url}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await t?.cleanup();
  });

  it('a latency changed in the matrix is stored both ways', async () => {
    await page.goto(`${srv.url}/`);
    const cell = page.locator('#lat-1-2');
    await expect.poll(() => cell.inputValue()).toBe('1000');
    await cell.fill('750');
    await cell.press('Enter');
    await page.locator('#matrix-msg', { hasText: 'saved' }).waitFor({ timeout: 5_000 });
    expect(await t.store.getLatency(1, 2)).toBe(750);
    expect(await t.store.getLatency(2, 1)).toBe(750);
    // the mirrored cell follows without a reload
    expect(await page.locator('#lat-2-1').inputValue()).toBe('750');
  });

  it('an invalid availability shows a message next to the field and is not sent', async () => {
    const writes: string[] = [];
    page.on('request', (r) => {
      if (r.method() !== 'GET') writes.push(`${r.method()} ${r.url()}`);
    });
    const input = page.locator('#avail-2');
    await input.fill('150');
    await input.press('Enter');
    await expect.poll(() => page.locator('#avail-err-2').textContent()).toBe('must be between 0 and 100 %');
    expect(await input.getAttribute('class')).toContain('invalid');
    await input.fill('');
    await input.press('Enter');
    await expect.poll(() => page.locator('#avail-err-2').textContent()).toBe('required (0–100)');
    await page.waitForTimeout(300);
    expect(writes).toEqual([]);
    expect((await t.store.getNode(2))!.availability).toBe(80);
    // and a valid one is stored
    await input.fill('82.5');
    await input.press('Enter');
    await page.locator('#nodes-msg', { hasText: 'saved' }).waitFor({ timeout: 5_000 });
    expect((await t.store.getNode(2))!.availability).toBe(82.5);
    expect(await page.locator('#avail-err-2').textContent()).toBe('');
  });

  it('the edits above show as differences from the scenario file, which a restart keeps', async () => {
    await page.goto(`${srv.url}/`);
    const drift = page.locator('#drift');
    await expect.poll(() => drift.isVisible()).toBe(true);
    const text = (await drift.textContent()) ?? '';
    expect(text).toMatch(/^2 difference\(s\) from /);
    expect(text).toContain('node 2 availability 82.5 (file 80)');
    expect(text).toContain('link 1-2 latencyMs 750 (file 1000)');
    expect(text).toContain('fogsim up --reset');
  });

  it('every table is browsable; runs page and filter by app', async () => {
    for (const table of ['nodes', 'links', 'apps', 'placements', 'events', 'counters', 'impacts', 'runs']) {
      await page.locator(`#tabs button[data-table="${table}"]`).click();
      await expect.poll(() => page.locator('#browse-table tbody tr').count()).toBeGreaterThan(0);
      expect(await page.locator('#browse-table tbody').textContent()).not.toContain('no rows');
    }
    const total = await t.store.countRuns();
    await expect.poll(() => page.locator('#pager-info').textContent()).toBe(`1–25 of ${total}`);
    await page.locator('#pager button', { hasText: 'next' }).click();
    await expect.poll(() => page.locator('#pager-info').textContent()).toBe(`26–50 of ${total}`);
    await page.locator('#filters input[name="appId"]').fill('2');
    await page.locator('#filters input[name="appId"]').press('Enter');
    const app2 = await t.store.countRuns(2);
    await expect.poll(() => page.locator('#pager-info').textContent()).toBe(`1–25 of ${app2}`);
    const appCol = await page.locator('#browse-table tbody tr td:nth-child(2)').allTextContents();
    expect(new Set(appCol)).toEqual(new Set(['2']));
    // impact vectors of one app
    await page.locator('#tabs button[data-table="impacts"]').click();
    await page.locator('#filters input[name="appId"]').fill('3');
    await page.locator('#filters input[name="appId"]').press('Enter');
    await expect.poll(() => page.locator('#pager-info').textContent()).toBe('1–9 of 9');
  });

  it('screenshot of the admin page', async () => {
    await page.locator('#tabs button[data-table="events"]').click();
    await expect.poll(() => page.locator('#browse-table tbody tr').count()).toBe(3);
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: `${shots}admin.png`, fullPage: true });
  });

  it('the admin page applies a timeline step by hand, through the same operation, and shows the server\'s path-precise problem', async () => {
    await page.goto(`${srv.url}/`);
    const form = page.locator('#step-form');
    await form.locator('select[name="kind"]').selectOption('nodeDown');
    await form.locator('select[name="node"]').selectOption('2');
    await form.locator('button[type="submit"]').click();
    await page.locator('#step-msg', { hasText: 'applied: nodeDown node 2' }).waitFor({ timeout: 5_000 });
    expect(await t.store.isNodeDown(2)).toBe(true);
    const last = (await t.store.listTimeline()).at(-1)!;
    expect(last).toMatchObject({ kind: 'nodeDown', args: { node: 2 }, source: 'admin', error: null });

    // a bad goal: the message of a scenario's timeline, under do.
    await form.locator('select[name="kind"]').selectOption('setGoal');
    await form.locator('select[name="app"]').selectOption('1');
    await form.locator('input[name="goal"]').fill('{"metric":"rt","max":800}');
    await form.locator('button[type="submit"]').click();
    await page.locator('#step-msg', { hasText: 'do.goal.metric: unknown metric "rt"' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('#step-msg').getAttribute('class')).toContain('err');
    expect((await t.store.listTimeline()).at(-1)!.id).toBe(last.id);
    // the browser logs the refused request: that one is expected
    const refused = pageErrors.findIndex((e) => /status of 400 .*\/api\/timeline/.test(e));
    expect(refused).toBeGreaterThanOrEqual(0);
    pageErrors.splice(refused, 1);

    // and the step back up, then a latency: the matrix follows
    await form.locator('select[name="kind"]').selectOption('nodeUp');
    await form.locator('select[name="node"]').selectOption('2');
    await form.locator('button[type="submit"]').click();
    await page.locator('#step-msg', { hasText: 'applied: nodeUp node 2' }).waitFor({ timeout: 5_000 });
    expect(await t.store.isNodeDown(2)).toBe(false);
    await form.locator('select[name="kind"]').selectOption('setLatency');
    await form.locator('select[name="from"]').selectOption('1');
    await form.locator('select[name="to"]').selectOption('3');
    await form.locator('input[name="latencyMs"]').fill('420');
    await form.locator('button[type="submit"]').click();
    await page.locator('#step-msg', { hasText: 'applied: setLatency 1-3 420 ms' }).waitFor({ timeout: 5_000 });
    expect(await t.store.getLatency(3, 1)).toBe(420);
    await expect.poll(() => page.locator('#lat-3-1').inputValue()).toBe('420');
  });

  it('the dashboard receives a new run, action and feedback live, without a reload', async () => {
    await page.goto(`${srv.url}/dashboard`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#convergence').textContent()).toBe('converged');
    const pointsBefore = await page.evaluate(() => (globalThis as any).Chart.getChart(document.querySelector('#app-1 canvas')).data.datasets[0].data.length);
    expect(pointsBefore).toBeGreaterThan(10);
    const runsBefore = Number((await page.locator('#stat-runs').textContent())!.replace(/,/g, ''));
    // marks the document: a reload would lose it
    await page.evaluate(() => ((globalThis as any).__noReload = true));

    const id = await t.store.insertRun(makeRun(1, Date.now(), { dataNode: 1, rtMs: 1650, latencyMs: 1502, availability: 85, goalMet: false, actionLabel: 'M1_3' }));
    await page.locator('#app-1-last', { hasText: `run #${id}` }).waitFor({ timeout: 5_000 });
    expect(await page.locator('#app-1-status').textContent()).toBe('goal violated');
    expect(await page.locator('#stat-runs').textContent()).toBe(String(runsBefore + 1));
    const pointsAfter = await page.evaluate(() => (globalThis as any).Chart.getChart(document.querySelector('#app-1 canvas')).data.datasets[0].data.length);
    expect(pointsAfter).toBe(pointsBefore + 1);
    await expect.poll(() => page.locator('#convergence').textContent()).toBe('not converged yet');

    const c = (await t.store.listCopies()).find((x) => x.nodeId === 1)!;
    const { event } = await t.store.commitMove({ copyId: c.id, expectedVersion: c.version, toNode: 3, bucket: 'node-3', event: { appId: 1, datasetId: c.id, actionLabel: 'M1_3', actionType: 'move', createdAtMs: Date.now(), closesAtMs: Date.now() + 60_000, explored: false } });
    await page.locator(`#event-${event.id}`, { hasText: 'M1_3' }).waitFor({ timeout: 5_000 });
    await t.store.addFeedback({ eventId: event.id, appId: 2, value: 0.73, createdAtMs: Date.now() });
    await page.locator(`#event-${event.id}`, { hasText: 'app 2: 0.73' }).waitFor({ timeout: 5_000 });
    // the copies table followed the move
    await page.locator('#placements', { hasText: 'node 3' }).waitFor({ timeout: 5_000 });
    expect(await page.evaluate(() => (globalThis as any).__noReload)).toBe(true);
  });

  it('the dashboard draws a timeline step as a line on the charts, live, and shows the strategy', async () => {
    await page.goto(`${srv.url}/dashboard`);
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#strategy').textContent()).toBe('strategy: original');
    // the steps applied by hand in the admin test are there from the start
    const before = await page.evaluate(() => (globalThis as any).fogsimSteps().length);
    expect(before).toBeGreaterThanOrEqual(3);
    // a step the scenario's timeline applies (here straight on the store: the stream polls it)
    const row = await t.store.recordStep({ atMs: Date.now(), kind: 'setBandwidth', args: { from: 1, to: 3, rateKBps: 500 }, source: 'timeline', error: null });
    await page.locator(`#step-${row.id}`, { hasText: 'setBandwidth 1-3 500 KB/s' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('#stat-steps').textContent()).toBe(String(before + 1));
    // the line is drawn on app 1's first chart at the step's x, in the timeline colour (#5a6b7d);
    // the chart redraws on its own schedule after the step arrives, so the pixels are polled
    const stepX = await page.evaluate((id) => (globalThis as any).fogsimSteps().find((x: { id: number }) => x.id === id).x as number, row.id);
    const measure = () => lineOnChart(page, '#app-1 canvas', stepX, [0x5a, 0x6b, 0x7d]);
    // dashed: about 5 of every 8 px of the chart's height
    await expect
      .poll(async () => {
        const d = await measure();
        return d.inside && d.hits > d.height * 0.3;
      }, { timeout: 5_000 })
      .toBe(true);
  });

  it('the delete buttons of the nodes table: a refused delete shows the server\'s message, an app is deleted after confirming', async () => {
    await page.goto(`${srv.url}/`);
    page.once('dialog', (d) => void d.accept());
    // copy 1 moves beside copy 2 on node 2: node 2 then holds every copy, and apps 1 and 3 of other nodes read them
    const c1 = (await t.store.getCopy(1))!;
    await t.store.commitMove({ copyId: 1, expectedVersion: c1.version, toNode: 2, bucket: 'node-2', event: { appId: 1, datasetId: 1, actionLabel: 'M1_2', actionType: 'move', createdAtMs: SEED_END_MS, closesAtMs: SEED_END_MS + 1, explored: false } });
    await page.locator('#delete-node-2').click();
    await page.locator('#nodes-msg', { hasText: 'node 2 cannot be deleted: node 2 holds every copy of data set 1 (copies 1, 2), read by app(s) 1, 3' }).waitFor({ timeout: 5_000 });
    expect(await t.store.getNode(2)).toBeDefined();
    const refused = pageErrors.findIndex((e) => /status of 409 .*\/api\/nodes\/2/.test(e));
    expect(refused).toBeGreaterThanOrEqual(0);
    pageErrors.splice(refused, 1);

    page.once('dialog', (d) => void d.accept());
    await page.locator('#delete-app-3').click();
    await page.locator('#nodes-msg', { hasText: 'deleted app 3' }).waitFor({ timeout: 5_000 });
    expect((await t.store.listApps()).map((a) => a.id)).toEqual([1, 2]);
    await expect.poll(() => page.locator('#delete-app-3').count()).toBe(0);
  });

  it('screenshot of the dashboard with a stream card: the rate step and the S{n} marked on its charts, live too; no script errors anywhere', async () => {
    // A calm picture: a freshly seeded run, every app converged, and a seeded stream app beside them.
    const fresh = await tempStore();
    await seedRealistic(fresh.store, fresh.scenario, SEED_END_MS);
    const streams = seedStreamHistory(SEED_END_MS);
    const snap = streams.snapshot();
    const s2 = await startControllerServer({ store: fresh.store, scenario: fresh.scenario, port: 0, streams });
    type Marks = Record<'latency' | 'rates' | 'workers' | 'cholesterol' | 'counts', { x: number; label: string }[]>;
    type Line = { label: string; points: { x: number; y: number | null }[] };
    const card = () => page.evaluate(() => (globalThis as any).fogsimStreamPoints()['4'] as { rates: number; actions: string[]; marks: Marks; cholesterol: Line[]; counts: Line[] });
    // the group lines of windows as the run page draws them (stream-section.ts groupSeries)
    const lines = (windows: typeof snap.apps[0]['windows']) => {
      const g = groupSeries(windows);
      return { cholesterol: g.map((s) => ({ label: s.label, points: s.points.map((p) => ({ x: p.x, y: p.avgCholesterol })) })), counts: g.map((s) => ({ label: s.label, points: s.points.map((p) => ({ x: p.x, y: p.count })) })) };
    };
    try {
      await page.goto(`${s2.url}/dashboard`);
      await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
      await page.locator('#stream-4-status', { hasText: 'goal met' }).waitFor({ timeout: 5_000 });
      // the seeded story: 650/s from 30 s (on the app's clock: the producers started 14 ms after it), S3 at 38 s
      const [step] = snap.apps[0].rateSteps;
      const [s3] = snap.apps[0].actions;
      expect(step).toEqual({ workload: 'replay', at: 30, atS: 30.01, rate: 650 });
      expect(s3).toMatchObject({ label: 'S3', atS: 38, from: 1, to: 3 });
      const shown = await card();
      expect(shown.rates).toBe(30);
      for (const chart of ['latency', 'rates', 'workers', 'cholesterol', 'counts'] as const) expect(shown.marks[chart], chart).toEqual([{ x: 30.01, label: '650/s' }, { x: 38, label: 'S3' }]);
      // the aggregates of every seeded window: a line per group in each chart, 30 points, the snapshot's values
      expect(shown.counts.map((l) => [l.label, l.points.length])).toEqual([['F · unknown', 30], ['M · unknown', 30]]);
      expect({ cholesterol: shown.cholesterol, counts: shown.counts }).toEqual(lines(snap.apps[0].windows));
      // and in pixels: the step in grey (#5a6b7d), the action in orange (#d9822b), dashed, on the rates chart
      const rates = 'canvas[aria-label="stream app 4 rates"]';
      for (const [x, rgb] of [[step.atS, [0x5a, 0x6b, 0x7d]], [s3.atS, [0xd9, 0x82, 0x2b]]] as const) {
        const d = await lineOnChart(page, rates, x, [...rgb]);
        expect(d.inside && d.hits > d.height * 0.3, `line at ${x}`).toBe(true);
      }
      expect(await page.locator('#stream-4-groups tbody tr').count()).toBe(snap.apps[0].groups.length);
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${shots}dashboard.png`, fullPage: true });

      // a window with an action, through the server's stream-window events: drawn at once
      const last = snap.apps[0].windows.at(-1)!;
      const w = { ...last, index: last.index + 1, startS: last.endS, endS: last.endS + 2, action: 'S4' };
      streams.emit({ appId: 4, topic: 'bloodtests', goal: 'latency <= 4000', startedAtMs: snap.startedAtMs, window: w, groups: snap.apps[0].groups, action: { ...s3, atS: w.endS, window: w.index, from: 3, to: 4, label: 'S4' } });
      await expect.poll(async () => (await card()).marks.rates.map((m) => m.label), { timeout: 5_000 }).toEqual(['650/s', 'S3', 'S4']);
      const after = await card();
      expect(after.actions).toEqual(['S3', 'S4']);
      // and its aggregates extend the lines
      expect({ cholesterol: after.cholesterol, counts: after.counts }).toEqual(lines([...snap.apps[0].windows, w]));
    } finally {
      await s2.close();
      await fresh.cleanup();
    }
    expect(pageErrors).toEqual([]);
  });
});
