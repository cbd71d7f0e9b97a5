import { performance } from 'node:perf_hooks';
import { linkLatency, parseScenario } from '../model/scenario.js';
import type { BenchResult } from './types.js';

/*
 * Loading generated scenarios (model/generators/): a 10,000-node x 10,000-app tiered and random-
 * geometric scenario parsed, with the heap they hold, and the latency lookup over the model (the
 * sim asks it per run). Issue 16: such a scenario loads in seconds and holds O(nodes) memory.
 */

const goals = [{ all: [{ metric: 'responseTime', max: 1500 }, { metric: 'availability', min: 80 }] }, { metric: 'latency', max: 200 }];
const tiers = [
  { name: 'cloud', count: 10, withinMs: 5 },
  { name: 'fog', fraction: 0.1, withinMs: 20, upMs: 30 },
  { name: 'edge', withinMs: 50, upMs: 10 },
];

export async function benchGenerators(): Promise<BenchResult[]> {
  const n = Number(process.env.FOGSIM_BENCH_GEN_NODES ?? 10_000);
  const out: BenchResult[] = [];
  for (const topology of [
    { generator: 'tiered', nodes: n, jitterMs: 5, tiers },
    { generator: 'random-geometric', nodes: n, radius: 100, msPerUnit: 2, baseMs: 3 },
  ]) {
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t = performance.now();
    const s = parseScenario({ topology, apps: { generator: 'uniform', count: n, goals } });
    const ms = performance.now() - t;
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
    out.push({ name: `generators: parse ${topology.generator}, ${n} nodes x ${n} apps`, value: Math.round(ms), unit: 'ms', target: '<= a few s', note: `heap +${heapMb.toFixed(0)} MB (O(nodes): no link objects)` });
    const pairs = 1_000_000;
    const t2 = performance.now();
    let sum = 0;
    for (let i = 0; i < pairs; i++) sum += linkLatency(s, 1 + ((i * 7919) % n), 1 + ((i * 104_729) % n));
    const per = ((performance.now() - t2) * 1e6) / pairs;
    out.push({ name: `generators: linkLatency over the ${topology.generator} model`, value: Math.round(per), unit: 'ns/lookup', note: `mean ${(sum / pairs).toFixed(1)} ms over ${pairs} pairs` });
  }
  return out;
}
