import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPageHtml, type RunPageReport } from '../../../controller/experiment/html/run-page.js';
import { goalBounds, groupSeries } from '../../../controller/experiment/html/stream-section.js';
import type { StreamWindow } from '../../../stream/app/app.js';
import { chromiumSkipNote, haveChromium, launchChromium, openFileOffline } from '../../helpers/browser.js';

/*
 * The stream part of a run's page on a hand-built report: one stream app whose input steps from
 * 200 to 650 msgs/s at 6 s of the workload's clock (6.4 s on the app's: its producers started
 * 0.4 s after it), violated for three windows, S3, met again. Its aggregates: F and M of band
 * unknown in every window, and F 40-59 from window 4 on, absent from window 7 and without a
 * cholesterol value in window 9.
 */
const T0 = 1_700_000_000_000;

function win(index: number): StreamWindow {
  const startS = index * 2;
  const high = startS >= 6;
  const workers = index >= 6 ? 3 : 1;
  const violated = high && workers === 1;
  const input = high ? 650 : 200;
  const throughput = violated ? 300 : input;
  return {
    index,
    startS,
    endS: startS + 2,
    workers,
    produced: input * 2,
    processed: throughput * 2,
    inputRate: input,
    throughput,
    throughputPerWorker: Math.round((throughput / workers) * 100) / 100,
    busyFraction: violated ? 1 : 0.66,
    latencyP50: violated ? 3000 + index * 500 : 300,
    latencyP95: violated ? 4500 + index * 800 : 600,
    lag: violated ? 700 * (index - 2) : 0,
    pathLatencyMs: 0,
    availability: 99,
    goalMet: !violated,
    violated: violated ? ['latency <= 4000'] : [],
    violationsInARow: violated ? index - 2 : 0,
    action: index === 5 ? 'S3' : 'NA',
    proposed: index === 5 ? 'S3' : 'NA',
    reason: index === 5 ? 'violated 3 windows in a row: autoscaler' : 'goal met',
    groups: groupsOf(index, throughput * 2),
  };
}

function groupsOf(index: number, processed: number): StreamWindow['groups'] {
  const late = index >= 4 && index !== 7 ? 5 : 0;
  const f = Math.round((processed - late) * 0.52);
  return [
    ...(late ? [{ gender: 'F', ageBand: '40-59', count: late, avgCholesterol: index === 9 ? null : 201.5 - index }] : []),
    { gender: 'F', ageBand: 'unknown', count: f, avgCholesterol: 180 + index * 1.5 },
    { gender: 'M', ageBand: 'unknown', count: processed - late - f, avgCholesterol: 172 - index },
  ];
}

const windows = Array.from({ length: 10 }, (_, i) => win(i));
const report: RunPageReport = {
  scenario: 'stream fixture',
  seed: 1,
  strategy: 'original',
  startedAtMs: T0,
  feedbackWindowMs: 2000,
  datasetBytes: 10,
  converged: true,
  convergedAtS: 19,
  durationS: 20,
  runs: 0,
  apps: [],
  events: [{ id: 1, appId: 2, action: 'S3', actionType: 'scale', explored: false, createdAtS: 12, feedback: [], feedbackCount: 0, globalFeedback: null }],
  story: { steps: [], checksWithoutAction: 0, violatedS: {}, checks: { appsActing: [2], feedbackRows: 0, closedEvents: 0, countersChanged: 0, copiesOrChangeRefs: 0, converged: true, openEventsAtEnd: 0, whole: false } },
  timeline: [],
  stream: {
    runtime: 'controller',
    startedAtMs: 0,
    bus: 'embedded',
    errors: [],
    dataPath: { busNode: 1, latency: 'emulated', proxies: [] },
    degradations: [],
    workloads: [{ id: 'replay', topic: 'bloodtests', acked: 7300, sent: 7300, status: 'stopped', producers: [], rate: 200, rateSteps: [{ at: 6, rate: 650 }], partitions: 12, nodes: [1] }],
    apps: [
      {
        id: 2,
        node: 1,
        topic: 'bloodtests',
        goal: 'latency <= 4000',
        windowS: 2,
        costMs: 3.33,
        rule: 'autoscaler',
        strategy: 'original',
        workers: { initial: 1, final: 3, max: 6 },
        windows,
        rateSteps: [{ workload: 'replay', at: 6, atS: 6.4, rate: 650 }],
        actions: [
          {
            atS: 12,
            window: 5,
            from: 1,
            to: 3,
            label: 'S3',
            strategy: 'original',
            explored: false,
            rule: 'autoscaler',
            proposed: 'S3',
            arithmetic: 'throughput per worker = 300 / 1 = 300; n = ceil(input rate / throughput per worker) = ceil(650 / 300) = 3',
            inputs: { inputRate: 650, throughput: 300, workers: 1, throughputPerWorker: 300 },
            eventId: 1,
          },
        ],
        consumed: 7300,
        lagAtEnd: 0,
        converged: true,
      },
    ],
  },
};

const dir = mkdtempSync(join(tmpdir(), 'fogsim-stream-page-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The <svg> of the chart titled `title`. */
function chartSvg(html: string, title: string): string {
  const at = html.indexOf(`aria-label="${title}"`);
  expect(at, title).toBeGreaterThan(0);
  return html.slice(html.lastIndexOf('<svg', at), html.indexOf('</svg>', at));
}

/** A chart's pixels back to values, through its first and last tick labels on each axis. */
function axes(svg: string): { x: (px: number) => number; y: (px: number) => number; pxPerX: number; pxPerY: number } {
  const ticks = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" class="tick" text-anchor="(end|middle)">([-\d.]+)<\/text>/g)];
  const line = (pairs: [number, number][]) => {
    const [[p0, v0], [p1, v1]] = [pairs[0]!, pairs.at(-1)!];
    return { at: (px: number) => v0 + ((px - p0) * (v1 - v0)) / (p1 - p0), perValue: Math.abs((p1 - p0) / (v1 - v0)) };
  };
  // a y tick's label sits 3 px below its grid line
  const x = line(ticks.filter((t) => t[3] === 'middle').map((t) => [Number(t[1]), Number(t[4])]));
  const y = line(ticks.filter((t) => t[3] === 'end').map((t) => [Number(t[2]) - 3, Number(t[4])]));
  return { x: x.at, y: y.at, pxPerX: x.perValue, pxPerY: y.perValue };
}

/** The points of a chart's series, read back from the circles drawn, as values. */
function drawn(svg: string, series: string): { x: number; y: number }[] {
  const g = new RegExp(`<g class="points" data-series="${series}">(.*?)</g>`).exec(svg);
  expect(g, series).not.toBeNull();
  const ax = axes(svg);
  return [...g![1].matchAll(/cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => ({ x: ax.x(Number(m[1])), y: ax.y(Number(m[2])) }));
}

describe("a run's page with a stream app", () => {
  const html = runPageHtml(report, []);
  const titles = ['latency p95 (ms)', 'input rate (purple) vs throughput (msgs/s)', 'workers', 'lag (messages)', 'average cholesterol by gender and age band', 'records per window by gender and age band'];

  it('charts latency p95 with the threshold, input rate vs throughput, workers, lag and the aggregates, the rate step (at its atS) and S3 marked on each', () => {
    expect(html).toContain('<h2>Stream apps</h2>');
    for (const title of titles) expect(html).toContain(`aria-label="stream app 2: ${title}"`);
    // the goal's threshold on the latency chart
    expect(html).toContain('<title>max 4000</title>');
    // the rate step on the app's clock (atS 6.4, not the scenario's at 6) and the action, on all six charts
    expect(html.match(/<title>replay 650\/s at 6.4 s<\/title>/g)).toHaveLength(6);
    expect(html).not.toContain('<title>replay 650/s at 6 s</title>');
    expect(html.match(/<title>S3 at 12 s<\/title>/g)).toHaveLength(6);
    // and where 6.4 s is on the x axis
    for (const title of titles) {
      const svg = chartSvg(html, `stream app 2: ${title}`);
      const ax = axes(svg);
      const marker = /<g class="marker"><line x1="([\d.]+)"[^>]*\/><title>replay 650\/s/.exec(svg);
      expect(ax.x(Number(marker![1])), title).toBeCloseTo(6.4, 1);
    }
    // violated windows are drawn red
    expect(html).toContain('fill="#c0392b"');
  });

  it('draws each group\'s average cholesterol and count per window as the report\'s windows give them', () => {
    const keys = ['F|40-59', 'F|unknown', 'M|unknown'];
    const label = (k: string) => k.replace('|', ' · ');
    const of = (w: StreamWindow, k: string) => w.groups.find((g) => `${g.gender}|${g.ageBand}` === k);
    const avg = chartSvg(html, 'stream app 2: average cholesterol by gender and age band');
    const counts = chartSvg(html, 'stream app 2: records per window by gender and age band');
    for (const k of keys) {
      // from the group's first window on: every window's count (0 when it had none of the group), the average where there is one
      const from = windows.filter((w) => of(w, k));
      const since = windows.filter((w) => w.index >= from[0]!.index);
      const wantCounts = since.map((w) => ({ x: w.endS, y: of(w, k)?.count ?? 0 }));
      const wantAvg = since.filter((w) => of(w, k)?.avgCholesterol != null).map((w) => ({ x: w.endS, y: of(w, k)!.avgCholesterol! }));
      const series = groupSeries(windows).find((g) => g.label === label(k))!;
      expect(series.points.map((p) => ({ x: p.x, y: p.count }))).toEqual(wantCounts);
      for (const [svg, want] of [[counts, wantCounts], [avg, wantAvg]] as const) {
        const got = drawn(svg, label(k));
        const ax = axes(svg);
        expect(got).toHaveLength(want.length);
        got.forEach((p, i) => {
          // within half a pixel of the value
          expect(Math.abs(p.x - want[i]!.x) * ax.pxPerX, `${k} x ${i}`).toBeLessThan(0.5);
          expect(Math.abs(p.y - want[i]!.y) * ax.pxPerY, `${k} y ${i}: ${p.y} vs ${want[i]!.y}`).toBeLessThan(0.5);
        });
      }
    }
    // F 40-59 from window 4: 0 in window 7; no average in window 9 (its records had no cholesterol)
    expect(drawn(counts, 'F · 40-59')).toHaveLength(6);
    expect(drawn(avg, 'F · 40-59')).toHaveLength(4);
    expect(html).toMatch(/<div class="legend stream-groups">.*F · unknown.*M · unknown.*F · 40-59.*<\/div>/);
  });

  it('tables the action with its arithmetic and inputs', () => {
    const table = /<table class="stream-actions">(.*?)<\/table>/s.exec(html)![1];
    expect(table).toContain('<td>S3</td><td>12</td><td>5</td><td>1 → 3</td><td>autoscaler</td>');
    expect(table).toContain('ceil(650 / 300) = 3');
    expect(table).toContain('inputRate 650, throughput 300, workers 1, throughputPerWorker 300');
    expect(table).toContain('#1');
    expect(html).toContain('workers 1 → 3 (max 6); 10 windows, 3 violated; 7300 records consumed, lag at the end 0; converged');
    expect(html).toContain('650/s at 6 s');
  });

  it('is self-contained: no script, no link, nothing fetched', () => {
    expect(html).not.toMatch(/<script|src=|href=/);
  });

  it('reads the bounds of a formatted goal', () => {
    expect(goalBounds('latency <= 4000 AND (lag <= 100 OR throughput >= 2.5)')).toEqual([
      { metric: 'latency', kind: 'max', bound: 4000 },
      { metric: 'lag', kind: 'max', bound: 100 },
      { metric: 'throughput', kind: 'min', bound: 2.5 },
    ]);
  });

  it.skipIf(!haveChromium)(`opens offline in Chromium with the six charts drawn and nothing fetched${chromiumSkipNote}`, async () => {
    const file = join(dir, 'r.html');
    writeFileSync(file, html);
    const browser = await launchChromium();
    try {
      const { page, errors } = await openFileOffline(browser, file);
      const charts = page.locator('svg.chart.line[aria-label^="stream app 2:"]');
      await expect(charts.count()).resolves.toBe(6);
      for (let i = 0; i < 6; i++) {
        expect((await charts.nth(i).boundingBox())?.width).toBeGreaterThan(100);
        await expect(charts.nth(i).locator('polyline').count()).resolves.toBeGreaterThan(0);
      }
      await expect(page.locator('table.stream-actions tr').count()).resolves.toBe(2);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
