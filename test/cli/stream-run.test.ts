/**
 * `fogsim run` on a stream scenario as a whole process (from sources, as the CI runs it): a
 * stream app whose input steps from 200 to 650 msgs/s at 2 s against workers of ~300 records/s,
 * windows of 1 s. It is violated, takes one S{n} with n = ceil(input rate / throughput per
 * worker) of the window it acted in (the report's own numbers), meets its goal again, and every
 * message the bus acknowledged was consumed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExperimentReport } from '../../controller/experiment/report.js';
import { isolatedEnv } from '../helpers/env.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fogsim-stream-run-'));
afterAll(() => process.env.KEEP_STREAM_RUN || rmSync(dir, { recursive: true, force: true }));

const scenario = join(dir, 'stream-short.yaml');
writeFileSync(
  scenario,
  `name: stream-short
seed: 1
nodes: [{ id: 1, availability: 99 }]
dataset: { node: 1, records: 500 }
timing: { feedbackWindowMs: 3000 }
convergence: { windowRuns: 3 }
apps:
  - kind: stream
    id: 1
    topic: tests
    windowS: 1
    workers: 1
    maxWorkers: 6
    costMs: 3.33
    goal: { metric: latency, max: 1500 }
    scale: { rule: autoscaler, violationsInARow: 3 }
workloads:
  - { id: replay, topic: tests, partitions: 12, source: { kind: bloodtests }, rate: 200, batch: 20, rateSteps: [{ at: 2, rate: 650 }] }
`,
);

describe('fogsim run on a short stream scenario (whole process)', () => {
  it('exits 0; the report has the windows, one S{n} from the window\'s own rates, the goal met at the end, acked = consumed', async () => {
    const report = join(dir, 'r.json');
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', '--scenario', scenario, '--duration', '20', '--report', report], {
      cwd: root,
      timeout: 90_000,
      env: isolatedEnv({ FOGSIM_DATA_DIR: join(dir, 'data'), FOGSIM_LOG_LEVEL: 'warn' }),
    });
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/stream app\(s\) started on the embedded bus/);
    expect(out).toMatch(/stream app 1: window \d+ S\d/);
    // where it stops, for a failure's message
    writeFileSync(join(dir, 'out.txt'), out);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as ExperimentReport;
    expect(existsSync(join(dir, 'r.html'))).toBe(true);
    const s = rep.stream!;
    expect(s.errors).toEqual([]);
    expect(s.bus).toBe('embedded');
    const app = s.apps[0];
    expect(app.windows.length).toBeGreaterThanOrEqual(10);
    // exactly one scale action, from the rates of the window it was taken in
    expect(app.actions).toHaveLength(1);
    const act = app.actions[0];
    const w = app.windows[act.window];
    expect(w.index).toBe(act.window);
    expect(w.action).toBe(act.label);
    expect(w.goalMet).toBe(false);
    expect(act.to).toBe(Math.ceil(w.inputRate / w.throughputPerWorker));
    expect(act.label).toBe(`S${act.to}`);
    expect(act.arithmetic).toContain(`ceil(${w.inputRate} / ${w.throughputPerWorker}) = ${act.to}`);
    // the action is an event of the run's, as any action is
    expect(rep.events.map((e) => e.action)).toEqual([act.label]);
    // the goal met in the last windows, with the new workers
    const last = app.windows.slice(-3);
    expect(last.every((x) => x.goalMet && x.workers === act.to)).toBe(true);
    // converged (the stream app alone: no batch app to wait for), after the action
    expect(rep.converged).toBe(true);
    expect(rep.convergedAtS!).toBeGreaterThan(act.atS);
    expect(app.converged).toBe(true);
    // no acknowledged message lost
    expect(app.lagAtEnd).toBe(0);
    expect(app.consumed).toBe(s.workloads[0].acked);
    expect(app.consumed).toBeGreaterThan(0);
    // each window keeps its aggregates: its groups count what it processed
    for (const x of app.windows) expect(x.groups.reduce((n, g) => n + g.count, 0), `window ${x.index}`).toBe(x.processed);
    // the rate step on the app's clock, as GET /api/stream-apps gives it: the producers start after the app
    expect(app.rateSteps).toHaveLength(1);
    expect(app.rateSteps[0]).toMatchObject({ workload: 'replay', at: 2, rate: 650 });
    expect(app.rateSteps[0].atS).toBeGreaterThanOrEqual(2);
    expect(app.rateSteps[0].atS).toBeLessThan(4);
  }, 120_000);
});
