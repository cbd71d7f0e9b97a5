import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseScenarioYaml, type Scenario } from '../../model/scenario.js';
import { UnavailableError, UserError } from '../../model/errors.js';
import { METRICS, type ImpactVector } from '../../model/metrics.js';
import type { ImpactRow } from '../../model/types.js';
import { readInfraConfig, type InfraConfig } from '../../util/config.js';
import { openStore } from '../../db/open.js';
import { checkTrainOptions, trainScenario, type TrainingEvent, type TrainOptions, type TrainResult } from '../../training/train.js';
import { trainingInfraFrom } from '../../training/infra.js';
import { withInfra } from '../../infra/infra.js';
import { importVectors } from '../../training/import.js';
import { missingVectors } from '../../training/labels.js';
import { formatVector } from '../../training/files.js';
import { vectorsDirFor } from '../../training/dirs.js';
import { isolatedEnv } from '../helpers/env.js';

/*
 * Training on real parts: embedded S3 server, embedded Toxiproxy-compatible proxy injecting real
 * latency on the data path, SQLite store, the node's job; a small generated data set. The
 * scenario makes the answers obvious: node 1 is very available, node 2 much less; latencies are
 * tens of ms to a hundred and fifty, far above the run-to-run noise of a 500-record job.
 */
const OBVIOUS = `
name: obvious
seed: 3
nodes:
  - { id: 1, availability: 99 }
  - { id: 2, availability: 70 }
  - { id: 3, availability: 95 }
links:
  - { from: 1, to: 2, latencyMs: 80 }
  - { from: 1, to: 3, latencyMs: 150 }
  - { from: 2, to: 3, latencyMs: 100 }
dataset: { records: 500, seed: 5, node: 3 }
apps:
  - { id: 1, node: 1, goal: { metric: responseTime, max: 100 } }
  - { id: 2, node: 2, goal: { metric: latency, max: 50 } }
timing: { latencySdMs: 2 }
decision: { rho: { responseTime: 100, latency: 100 } }
training: { iterations: 2 }
`;

const scenario: Scenario = parseScenarioYaml(OBVIOUS, 'obvious.yaml');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'fogsim-train-'));
  dirs.push(d);
  return d;
};
const configIn = (dir: string): InfraConfig => readInfraConfig({ FOGSIM_DATA_DIR: dir });

/** As `fogsim train` does: options checked, the infrastructure started once, trained on, stopped. */
async function train(o: Omit<TrainOptions, 'infra'> & { config: InfraConfig }): Promise<TrainResult> {
  const { config, ...opts } = o;
  checkTrainOptions(opts);
  return withInfra(config, { proxyPort: 0 }, async (infra) => trainScenario({ ...opts, infra: await trainingInfraFrom(infra, opts.scenario) }));
}

async function rowsOf(cfg: InfraConfig, appId?: number): Promise<ImpactRow[]> {
  const store = await openStore(cfg);
  try {
    return await store.listImpacts(appId);
  } finally {
    await store.close();
  }
}
const byLabel = (rows: ImpactRow[], appId: number) => new Map(rows.filter((r) => r.appId === appId).map((r) => [r.actionLabel, r]));

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('training on the embedded stack', () => {
  let dir: string;
  let cfg: InfraConfig;
  let rows: ImpactRow[];
  const events: TrainingEvent[] = [];

  beforeAll(async () => {
    dir = tmp();
    cfg = configIn(dir);
    const r = await train({ scenario, config: cfg, outDir: join(dir, 'out'), onEvent: (e) => events.push(e) });
    expect(r.interrupted).toBe(false);
    expect(r.pairsTrained).toBe(12);
    rows = await rowsOf(cfg);
  }, 60_000);

  it('measures each (app, node) placement once per iteration and trains every pair of every app', () => {
    // 2 apps x 3 nodes x N=2, whatever the 6 pairs per app
    expect(events.filter((e) => e.kind === 'measured')).toHaveLength(12);
    expect(rows.filter((r) => r.source === 'training')).toHaveLength(30);
    for (const r of rows) for (const m of METRICS) expect(Math.abs(r.vector[m])).toBeLessThanOrEqual(1);
  });

  it('injects the drawn latency for real: NL read back from the proxy, RT grows with it', () => {
    const measured = events.filter((e): e is Extract<TrainingEvent, { kind: 'measured' }> => e.kind === 'measured');
    const local = measured.find((e) => e.appId === 1 && e.node === 1)!;
    const far = measured.find((e) => e.appId === 1 && e.node === 3)!;
    expect(local.metrics.latency).toBe(0);
    expect(far.metrics.latency).toBe(far.latencyMs);
    expect(Math.abs(far.latencyMs - 150)).toBeLessThan(15);
    expect(far.metrics.responseTime).toBeGreaterThan(far.latencyMs);
    expect(far.metrics.availability).toBe(95);
  });

  it('moving the data next to the app helps RT and NL; to a less available node hurts A', () => {
    const app1 = byLabel(rows, 1);
    const toApp = app1.get('M3_1')!.vector;
    expect(toApp.responseTime).toBeGreaterThan(0.5);
    expect(toApp.latency).toBeGreaterThan(0.5);
    expect(toApp.availability).toBeGreaterThan(0); // 95 -> 99
    expect(toApp.consistency).toBe(0); // a move leaves the copy count alone
    const away = app1.get('M1_2')!.vector;
    expect(away.availability).toBeLessThan(-0.9); // 99 -> 70
    expect(away.responseTime).toBeLessThan(0);
    expect(away.latency).toBeLessThan(0);
    // closer but less available: latency helps, availability hurts
    const mixed = app1.get('M3_2')!.vector;
    expect(mixed.latency).toBeGreaterThan(0);
    expect(mixed.availability).toBeLessThan(0);
    // app 2 sits on node 2: data onto node 2 helps its latency
    expect(byLabel(rows, 2).get('M1_2')!.vector.latency).toBeGreaterThan(0.5);
  });

  it('C{x}_{y} is M{x}_{y} with the extra copy in DC; CR{y} is the mean of the moves into y', () => {
    const app1 = byLabel(rows, 1);
    const m = app1.get('M2_3')!.vector;
    const c = app1.get('C2_3')!.vector;
    expect({ ...c, consistency: 0 }).toEqual(m);
    expect(c.consistency).toBe(-1); // 1 - 1/2 = 0.5 lower with rho 0.5
    const cr = app1.get('CR1')!.vector;
    const a = app1.get('M2_1')!.vector;
    const b = app1.get('M3_1')!.vector;
    for (const k of METRICS) expect(cr[k]).toBeCloseTo((a[k] + b[k]) / 2, 5);
    expect(cr.consistency).toBe(0);
  });

  it('writes one original-format file per vector, and they round-trip through --import', async () => {
    const out = join(dir, 'out');
    const row = byLabel(rows, 2).get('IC3_1'.slice(1))!;
    expect(readFileSync(join(out, 'app-2', 'IC3_1.txt'), 'utf8')).toBe(`${formatVector(row.vector)}\n`);
    expect(readFileSync(join(out, 'app-2', 'IC3_1.txt'), 'utf8').trim().split(',')).toHaveLength(6);

    const other = configIn(tmp());
    const store = await openStore(other);
    try {
      await store.seedScenario(scenario);
      expect(await missingVectors(store, scenario)).toHaveLength(2);
      const got = await importVectors({ dir: out, store, scenario });
      expect(got).toHaveLength(30);
      expect(await missingVectors(store, scenario)).toEqual([]);
      const imported = await store.listImpacts();
      for (const r of rows) {
        const i = imported.find((x) => x.appId === r.appId && x.actionLabel === r.actionLabel)!;
        expect(i.source).toBe('import');
        expect(i.vector).toEqual(r.vector);
      }
    } finally {
      await store.close();
    }
  });

  it('a rerun finds everything stored and measures nothing; files go by default where run and up read', async () => {
    const seen: TrainingEvent[] = [];
    const r = await train({ scenario, config: cfg, onEvent: (e) => seen.push(e) });
    expect(r.outDir).toBe(vectorsDirFor(dir, 'obvious'));
    expect(existsSync(join(dir, 'training', 'obvious', 'app-2', 'ICR3.txt'))).toBe(true);
    expect(r.measurements).toBe(0);
    expect(r.pairsSkipped).toBe(12);
    expect(seen.find((e) => e.kind === 'start')).toMatchObject({ totalMeasurements: 0, totalPairs: 0, skippedPairs: 12 });
    expect(r.apps.every((a) => a.finished && Object.keys(a.vectors).length === 15)).toBe(true);
  });
});

describe('interrupted training', () => {
  it('stores only finished pairs, and a rerun resumes without redoing them or their runs', async () => {
    const dir = tmp();
    const cfg = configIn(dir);
    const progressFile = join(dir, 'training-progress.json');
    const ac = new AbortController();
    const first: TrainingEvent[] = [];
    const r1 = await train({
      scenario,
      config: cfg,
      appIds: [1],
      outDir: null,
      signal: ac.signal,
      // Ctrl-C as soon as the first pair is stored
      onEvent: (e) => {
        first.push(e);
        if (e.kind === 'pair') ac.abort();
      },
    });
    expect(r1.interrupted).toBe(true);
    expect(r1.pairsTrained).toBe(1);
    expect(first.filter((e) => e.kind === 'measured')).toHaveLength(4); // nodes 1 and 2, N = 2
    const stored = await rowsOf(cfg, 1);
    expect(stored.map((r) => r.actionLabel).sort()).toEqual(['C1_2', 'M1_2']); // no half pair, no CR yet
    expect(existsSync(progressFile)).toBe(true);

    const second: TrainingEvent[] = [];
    const r2 = await train({ scenario, config: cfg, appIds: [1], outDir: null, onEvent: (e) => second.push(e) });
    expect(r2.interrupted).toBe(false);
    expect(second.find((e) => e.kind === 'start')).toMatchObject({ skippedPairs: 1, totalPairs: 5, totalMeasurements: 2 });
    // only node 3 was never measured: 2 runs, and pair (1, 2) is not trained again
    const measured = second.filter((e): e is Extract<TrainingEvent, { kind: 'measured' }> => e.kind === 'measured');
    expect(measured.map((e) => e.node)).toEqual([3, 3]);
    const pairs = second.filter((e): e is Extract<TrainingEvent, { kind: 'pair' }> => e.kind === 'pair').map((e) => `${e.pair.x}_${e.pair.y}`);
    expect(pairs).toEqual(['1_3', '2_1', '2_3', '3_1', '3_2']);
    const after = byLabel(await rowsOf(cfg, 1), 1);
    expect(after.size).toBe(15);
    expect(after.get('M1_2')!.updatedAtMs).toBe(stored.find((r) => r.actionLabel === 'M1_2')!.updatedAtMs);
    expect(existsSync(progressFile)).toBe(false); // finished apps leave no cache behind
  }, 60_000);
});

describe('training errors', () => {
  const expectUserError = async (p: Promise<unknown>, re: RegExp) => {
    const e = await p.then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(re);
  };

  it('names bad options and scenarios that cannot be trained, before starting anything', async () => {
    const cfg = configIn(tmp());
    await expectUserError(train({ scenario, config: cfg, appIds: [9] }), /--app: app 9 is not in scenario obvious; its apps are 1, 2/);
    await expectUserError(train({ scenario, config: cfg, iterations: 0 }), /--iterations: must be a whole number >= 1/);
    await expectUserError(train({ scenario, config: cfg, concurrency: 0 }), /--concurrency/);
    const oneStorage = parseScenarioYaml(OBVIOUS.replace('{ id: 2, availability: 70 }', '{ id: 2, availability: 70, storage: false }').replace('{ id: 3, availability: 95 }', '{ id: 3, availability: 95, storage: false }').replace('node: 3 }', 'node: 1 }'));
    await expectUserError(train({ scenario: oneStorage, config: cfg }), /at least two nodes with storage/);
  });

  it('an unreachable object store or proxy is a clear, retriable UnavailableError, and what was started is stopped', async () => {
    const dir = tmp();
    const expectUnavailable = async (p: Promise<unknown>, re: RegExp) => {
      const e = await p.then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(UnavailableError);
      expect(e).toMatchObject({ code: 'UNAVAILABLE', httpStatus: 503, retriable: true });
      expect((e as Error).message).toMatch(re);
    };
    await expectUnavailable(train({ scenario, config: readInfraConfig({ FOGSIM_DATA_DIR: dir, FOGSIM_S3_ENDPOINT: 'http://127.0.0.1:9', FOGSIM_S3_ACCESS_KEY: 'ak', FOGSIM_S3_SECRET_KEY: 'sk' }) }), /object store at http:\/\/127.0.0.1:9 .*not reachable/);
    await expectUnavailable(train({ scenario, config: readInfraConfig({ FOGSIM_DATA_DIR: dir, FOGSIM_TOXIPROXY_URL: 'http://127.0.0.1:9' }) }), /latency proxy at http:\/\/127.0.0.1:9 is not reachable/);
  }, 30_000);
});

describe('fogsim train (CLI)', () => {
  const run = promisify(execFile);
  const cli = async (args: string[], env: Record<string, string>) => {
    try {
      const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { env: isolatedEnv({ ...env, FOGSIM_LOG_LEVEL: 'silent' }), timeout: 60_000 });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };

  it('trains, prints plain progress and a summary off a terminal; bad scenario and bad import exit 1 naming the problem', async () => {
    const dir = tmp();
    const file = join(dir, 'obvious.yaml');
    writeFileSync(file, OBVIOUS);
    const env = { FOGSIM_DATA_DIR: dir };
    const ok = await cli(['train', '--scenario', file, '--iterations', '1', '--app', '2', '--out', join(dir, 'out')], env);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^\[3\/3\] app 2 data on \d it 1: RT \d+ ms/m);
    expect(ok.out).toMatch(/app 2: M1_2 = /);
    expect(ok.out).toMatch(/│ 2 +│ CR3 +│/);
    expect(ok.out).toMatch(/trained: 6 pair\(s\)/);
    expect(existsSync(join(dir, 'out', 'app-2', 'ICR3.txt'))).toBe(true);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, OBVIOUS.replace('availability: 70', 'availability: 170'));
    const r = await cli(['train', '--scenario', bad], env);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nodes\[1\]\.availability: must be <= 100/);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/); // no stack trace

    writeFileSync(join(dir, 'out', 'app-2', 'IM1_3.txt'), '0.1,0.2,oops,0,0,0\n');
    const imp = await cli(['train', '--import', join(dir, 'out')], env);
    expect(imp.code).toBe(1);
    expect(imp.err).toMatch(/app-2\/IM1_3.txt: value 3 \(throughput\) is "oops", not a number/);
  }, 60_000);
});
