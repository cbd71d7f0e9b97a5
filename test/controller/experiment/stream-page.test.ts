import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPageHtml, type RunPageReport } from '../../../controller/experiment/html/run-page.js';
import { goalBounds } from '../../../controller/experiment/html/stream-section.js';
import type { StreamWindow } from '../../../stream/app/app.js';
import { chromiumSkipNote, haveChromium, launchChromium, openFileOffline } from '../../helpers/browser.js';

/*
 * The stream part of a run's page on a hand-built report: one stream app whose input steps from
 * 200 to 650 msgs/s at 6 s, violated for three windows, S3, met again.
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
  };
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

describe("a run's page with a stream app", () => {
  const html = runPageHtml(report, []);

  it('charts latency p95 with the threshold, input rate vs throughput, workers and lag, the rate step and S3 marked on each', () => {
    expect(html).toContain('<h2>Stream apps</h2>');
    for (const title of ['latency p95 (ms)', 'input rate (purple) vs throughput (msgs/s)', 'workers', 'lag (messages)']) {
      expect(html).toContain(`aria-label="stream app 2: ${title}"`);
    }
    // the goal's threshold on the latency chart
    expect(html).toContain('<title>max 4000</title>');
    // the rate step and the action on all four charts
    expect(html.match(/<title>replay 650\/s at 6 s<\/title>/g)).toHaveLength(4);
    expect(html.match(/<title>S3 at 12 s<\/title>/g)).toHaveLength(4);
    // violated windows are drawn red
    expect(html).toContain('fill="#c0392b"');
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

  it.skipIf(!haveChromium)(`opens offline in Chromium with the four charts drawn and nothing fetched${chromiumSkipNote}`, async () => {
    const file = join(dir, 'r.html');
    writeFileSync(file, html);
    const browser = await launchChromium();
    try {
      const { page, errors } = await openFileOffline(browser, file);
      const charts = page.locator('svg.chart.line[aria-label^="stream app 2:"]');
      await expect(charts.count()).resolves.toBe(4);
      for (let i = 0; i < 4; i++) {
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
