import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
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
 * The virtual-time engine (sim/engine.ts), in-process: app runs simulated per second on the thesis
 * scenario (1 h of virtual time, not stopping at convergence), and a full mesh of N nodes with an
 * app on each (N = FOGSIM_BENCH_SIM_NODES, default 200; issue 16 asks 1,000 for 1 h within 60 s),
 * with the process's resident memory after it.
 */

function mesh(n: number): Scenario {
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
  return parseScenario({ name: `mesh-${n}`, seed: 1, nodes, links, apps, dataset: { records: 20_000, node: 1 }, job: { rangeBytes: 4_194_304 }, timing: { arrivalMeanMs: 15_000, arrivalSdMs: 2000, feedbackWindowMs: 210_000, maxRepairs: 2, latencySdMs: 7 } });
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
  const durationS = Number(process.env.FOGSIM_BENCH_SIM_SECONDS ?? 600);
  const big = mesh(n);
  t = performance.now();
  const b = simulate(big, { durationS, stopAtConvergence: false });
  s = (performance.now() - t) / 1000;
  out.push({ name: `sim: ${n} nodes x ${n} apps, ${durationS} s virtual`, value: Number(s.toFixed(2)), unit: 's', target: n === 1000 && durationS === 3600 ? '<= 60' : undefined, note: `${b.stats.runs} runs, ${b.stats.events} actions, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB` });

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
