/**
 * `fogsim run` on a stream scenario as a whole process (from sources, as the CI runs it): a
 * stream app whose input steps from 200 to 650 msgs/s at 2 s against workers of ~300 records/s,
 * windows of 1 s. It is violated, takes one S{n} with n = ceil(input rate / throughput per
 * worker) of the window it acted in (the report's own numbers), meets its goal again, and every
 * message the bus acknowledged was consumed. With --strategy static it takes no S{n} while the
 * rule proposes one; with a strategy that returns what is not a candidate the run fails with its
 * error. The loop metrics read the stream app's windows and actions.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loopMetrics } from '../../controller/experiment/loop-metrics.js';
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
    // the strategy (the scenario's: original) took the rule's proposal
    expect(app.strategy).toBe('original');
    expect(act).toMatchObject({ strategy: 'original', proposed: act.label, explored: false });
    // loop metrics: the windows are the runs, the S{n} an action that repaired the one episode
    const m = loopMetrics(rep, []);
    expect(m).toMatchObject({ converged: 1, actions: 1, scales: 1, moves: 0, oscillations: 0, runs: app.windows.length, violationEpisodes: 1, repairedEpisodes: 1 });
    expect(m.violatedSByApp['1']).toBeGreaterThan(0);
  }, 120_000);

  it('--strategy static: the rule proposes an S{n} on violated windows, no action is taken, not converged', async () => {
    const report = join(dir, 'static.json');
    await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', '--scenario', scenario, '--duration', '14', '--report', report, '--strategy', 'static'], {
      cwd: root,
      timeout: 90_000,
      env: isolatedEnv({ FOGSIM_DATA_DIR: join(dir, 'data-static'), FOGSIM_LOG_LEVEL: 'warn' }),
    });
    const rep = JSON.parse(readFileSync(report, 'utf8')) as ExperimentReport;
    const app = rep.stream!.apps[0];
    expect(rep.strategy).toBe('static');
    expect(app.strategy).toBe('static');
    expect(app.actions).toEqual([]);
    expect(rep.events).toEqual([]);
    const proposed = app.windows.filter((w) => w.proposed !== 'NA');
    expect(proposed.length).toBeGreaterThan(0);
    for (const w of proposed) {
      expect(w).toMatchObject({ goalMet: false, action: 'NA', workers: 1 });
      expect(w.proposed).toMatch(/^S\d+$/);
    }
    expect(app.windows.every((w) => w.action === 'NA' && w.workers === 1)).toBe(true);
    expect(rep.converged).toBe(false);
    const m = loopMetrics(rep, []);
    expect(m).toMatchObject({ converged: 0, actions: 0, scales: 0, repairedEpisodes: 0 });
    expect(m.violatedSByApp['1']).toBeGreaterThan(3);
  }, 120_000);

  it('a strategy that returns what is not a candidate fails the run with its error (exit 1), also when set with --set on the stream app', async () => {
    const wild = join(dir, 'wild.mjs');
    writeFileSync(wild, "export default (input) => (input.kind === 'stream' ? 'S99' : 'NA');\n");
    // violated from its first window, the rule's trigger after one
    const sets = ['--set', 'apps[0].goal={metric: throughput, min: 1000000}', '--set', 'apps[0].scale.violationsInARow=1', '--set', `apps[0].strategy=${wild}`];
    const err = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', '--scenario', scenario, '--duration', '20', '--report', join(dir, 'wild.json'), ...sets], {
      cwd: root,
      timeout: 90_000,
      env: isolatedEnv({ FOGSIM_DATA_DIR: join(dir, 'data-wild'), FOGSIM_LOG_LEVEL: 'warn' }),
    }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain(`strategy ${wild} of app 1 returned "S99", not a candidate: NA, S2, S3, S4, S5, S6`);
    expect(existsSync(join(dir, 'wild.json'))).toBe(false);
  }, 120_000);
});
