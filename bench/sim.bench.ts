import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writtenOutScenario } from './scenario-load.bench.js';
import { loadScenario, parseScenario, type Scenario } from '../model/scenario.js';
import { simulate } from '../sim/engine.js';
import { scoreCandidates } from '../decision/scoring.js';
import { weighCandidates } from '../decision/decide.js';
import { evaluateGoal } from '../decision/goal.js';
import { candidateActions } from '../decision/candidates.js';
import { DEFAULT_DATA_PATH_MODEL } from '../sim/data-path.js';
import { DerivedImpacts, derivedRow, type ExpectationWorld } from '../sim/impacts.js';
import type { BenchResult } from './types.js';

/*
 * The virtual-time engine (sim/engine.ts). In-process: app runs simulated per second on the thesis
 * scenario (1 h of virtual time, not stopping at convergence), and one decision over 2,000
 * candidates. As whole processes, `fogsim simulate` the way a user runs it, with its peak resident
 * memory: the generated fog of scenarios/fog-1000.yaml for 1 h, the same generator at 10,000 nodes
 * and 10,000 apps for 10 min, and the worst case, a full mesh of N nodes every one of which may
 * host the data and an app on each (N = FOGSIM_BENCH_SIM_NODES, default 200), where every app is
 * violated and every decision weighs 2 (N - 1) candidates.
 */

/** A full mesh of n nodes with an app on each, as the raw object of a scenario file. */
export function meshRaw(n: number): Record<string, unknown> {
  const nodes = Array.from({ length: n }, (_, i) => ({ id: i + 1, availability: 60 + ((i * 37) % 40) }));
  const links: { from: number; to: number; latencyMs: number }[] = [];
  // latencies spread over 50..2000 ms by a fixed hash of the pair: the same mesh every run
  for (let a = 1; a <= n; a++) for (let b = a + 1; b <= n; b++) links.push({ from: a, to: b, latencyMs: 50 + ((a * 7919 + b * 104_729) % 1950) });
  const goals = [
    { all: [{ metric: 'responseTime', max: 1500 }, { metric: 'availability', min: 80 }] },
    { all: [{ metric: 'throughput', min: 20_000 }] },
    { any: [{ metric: 'consistency', min: 0.7 }, { metric: 'latency', max: 1300 }] },
  ];
  const apps = nodes.map((x, i) => ({ id: x.id, node: x.id, goal: goals[i % 3] }));
  return { name: `mesh-${n}`, seed: 1, nodes, links, apps, dataset: { records: 20_000, node: 1 }, job: { rangeBytes: 4_194_304 }, timing: { arrivalMeanMs: 15_000, arrivalSdMs: 2000, feedbackWindowMs: 210_000, maxRepairs: 2, latencySdMs: 7 } };
}

const mesh = (n: number): Scenario => parseScenario(meshRaw(n));

const exec = promisify(execFile);
// the peak resident memory of the process, printed as it exits
const MAX_RSS = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss '+process.resourceUsage().maxRSS+'\\n'))`;

/** `fogsim simulate` as a whole process: wall seconds, peak RSS in MB, and its summary line. */
async function simulateProcess(root: string, scenario: string, duration: string, report: string): Promise<{ wallS: number; rssMb: number; summary: string }> {
  const t = performance.now();
  const { stdout, stderr } = await exec(process.execPath, ['--import', MAX_RSS, join(root, 'bin', 'fogsim.js'), 'simulate', '--scenario', scenario, '--duration', duration, '--no-stop', '--report', report], { cwd: root, timeout: 3_600_000, maxBuffer: 64 * 1024 * 1024 });
  const wallS = (performance.now() - t) / 1000;
  const kb = Number(/maxrss (\d+)/.exec(stderr)?.[1] ?? NaN);
  return { wallS, rssMb: Math.round(kb / 1024), summary: stdout.split('\n').find((l) => / runs; /.test(l)) ?? '' };
}

export async function benchSim(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  // sources in bench/, the build in dist/bench/: the scenarios are at the repository's root
  const root = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));
  const thesis = loadScenario(root + 'scenarios/thesis.yaml');
  let t = performance.now();
  const r = simulate(thesis, { durationS: 3600, stopAtConvergence: false });
  let s = (performance.now() - t) / 1000;
  out.push({ name: 'sim: app runs per second, thesis scenario, 1 h virtual', value: Math.round(r.stats.runs / s), unit: 'runs/s', target: '>= 20000', note: `${r.stats.runs} runs in ${s.toFixed(2)} s` });

  const n = Number(process.env.FOGSIM_BENCH_SIM_NODES ?? 200);
  const out1 = join(root, 'bench', 'out', 'sim');
  mkdirSync(out1, { recursive: true });
  const fog10k = join(out1, 'fog-10000.yaml');
  writeFileSync(fog10k, readFileSync(join(root, 'scenarios', 'fog-1000.yaml'), 'utf8').replace('name: fog-1000', 'name: fog-10000').replace('nodes: 1000', 'nodes: 10000').replace('count: 1000', 'count: 10000'));
  const meshFile = join(out1, `mesh-${n}.yaml`);
  writeFileSync(meshFile, writtenOutScenario(n).replace('dataset: {records: 20000, node: 1}', 'dataset: {records: 20000, node: 1}\ntiming: {arrivalMeanMs: 15000, arrivalSdMs: 2000, feedbackWindowMs: 210000}'));
  for (const [label, file, duration, target] of [
    ['fog-1000.yaml (1,000 nodes, 1,000 apps, tiered), 1 h virtual', join(root, 'scenarios', 'fog-1000.yaml'), '1h', '<= 60 s, <= 1 GB'],
    ['fog-10000 (10,000 nodes, 10,000 apps, tiered), 10 min virtual', fog10k, '10m', 'runs to the end'],
    [`worst case: ${n}-node mesh, every node storage, an app on each, 10 min virtual`, meshFile, '10m', undefined],
  ] as const) {
    const r = await simulateProcess(root, file, duration, join(out1, `${basename(file, '.yaml')}.json`));
    out.push({ name: `sim: fogsim simulate ${label}, whole process`, value: Number(r.wallS.toFixed(1)), unit: 's', target, note: `peak rss ${r.rssMb} MB; ${r.summary}` });
  }

  const big = mesh(n);
  // one decision over 2,000 candidates (M and C to 999 other nodes, NA, CR): the candidates, their
  // vectors and scores, as sim/engine.ts asks for them (vectors derived by the model), and as a
  // node does (vectors stored by training); then scoring alone
  const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
  const nodes = ids.map((id) => ({ id, storage: true, availability: 60 + ((id * 37) % 40) }));
  const latencyOf = (a: number, b: number) => 50 + ((Math.min(a, b) * 7919 + Math.max(a, b) * 104_729) % 1950);
  const world: ExpectationWorld = { model: DEFAULT_DATA_PATH_MODEL, read: { records: 20_000, bytes: 20_000 * DEFAULT_DATA_PATH_MODEL.bytesPerRecord, rangeBytes: 4_194_304 }, latency: latencyOf, availability: (id) => nodes[id - 1].availability, version: () => 0, row: derivedRow() };
  const rho = big.decision.rho;
  const check = evaluateGoal({ all: [{ metric: 'responseTime', max: 1500 }, { metric: 'availability', min: 80 }] }, { responseTime: 3000, executionTime: 2000, throughput: 1000, latency: 1500, availability: 70, consistency: 0 });
  const placement = { dataNode: 1, referenceCopyId: 1, familyCopies: [{ id: 1, nodeId: 1 }], nodes };
  const stored = new Map(ids.slice(1).flatMap((y) => [`M1_${y}`, `C1_${y}`]).map((l, k) => [l, { responseTime: (k % 7) / 10 - 0.3, executionTime: 0.1, throughput: 0.2, latency: -0.1, availability: 0.05, consistency: 0 }]));
  const rounds = 300;
  // the apps of a run take turns: each decision is another app's, as in the engine
  const apps = Array.from({ length: 16 }, (_, k) => new DerivedImpacts(world, k + 2, rho));
  for (const [label, impacts] of [['derived by the model (sim)', null], ['stored by training (emulation)', stored]] as const) {
    for (let k = 0; k < 20; k++) weighCandidates({ check, placement, impacts: impacts ?? apps[k % apps.length], counters: {}, params: big.decision, rho });
    t = performance.now();
    let n = 0;
    for (let k = 0; k < rounds; k++) n = weighCandidates({ check, placement, impacts: impacts ?? apps[k % apps.length], counters: {}, params: big.decision, rho }).scored.length;
    out.push({ name: `sim: a decision over ${n - 1} candidates, vectors ${label}`, value: Number(((performance.now() - t) / rounds).toFixed(3)), unit: 'ms', target: '< 1' });
  }
  const cands = candidateActions({ ...placement, maxCopies: 2 }).filter((c) => c.action.type !== 'none');
  const v = { responseTime: 0.2, executionTime: 0.1, throughput: 0.3, latency: -0.1, availability: 0.05, consistency: 0 };
  t = performance.now();
  for (let k = 0; k < rounds; k++) scoreCandidates(cands, () => v, {}, check, big.decision);
  out.push({ name: `sim: scoring alone, ${cands.length} candidates`, value: Number(((performance.now() - t) / rounds).toFixed(3)), unit: 'ms', target: '< 1' });
  return out;
}
