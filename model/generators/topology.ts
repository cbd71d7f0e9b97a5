import { z } from 'zod';
import { fileTopologySchema, importTopology, shortestPathLatency } from './file.js';
import { generateRandomGeometric, geometricLatency, randomGeometricSchema } from './random-geometric.js';
import { generateTiered, tieredLatency, tieredSchema } from './tiered.js';
import type { GeneratedTopology, LatencyModel, ScenarioTopology } from './types.js';

/*
 * scenario `topology`: one of the generators (model/generators/tiered.ts, random-geometric.ts) or
 * an imported file (file.ts), chosen by `generator`; the latency of a pair from the compact model.
 */

export const topologySchema = z.discriminatedUnion('generator', [tieredSchema, randomGeometricSchema, fileTopologySchema]);

export type TopologySpec = z.infer<typeof topologySchema>;

/** `{file: ...}` without a generator is an import: said once here, before the schema reads it. */
export function normalizeTopology(raw: unknown): unknown {
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'file' in raw && !('generator' in raw)) return { generator: 'file', ...raw };
  return raw;
}

/** The nodes, links and latency model of a topology spec; undefined (with errors pushed) when it is bad. */
export function buildTopology(spec: TopologySpec, scenarioSeed: number, baseDir: string, errors: string[]): GeneratedTopology | undefined {
  const seed = spec.seed ?? scenarioSeed;
  switch (spec.generator) {
    case 'tiered':
      return generateTiered(spec, seed, errors);
    case 'random-geometric':
      return generateRandomGeometric(spec, seed, errors);
    case 'file':
      return importTopology(spec, seed, baseDir, errors);
  }
}

/** The latency of a pair that has no explicit link, from the model. */
export function modelLatency(m: LatencyModel, links: readonly { from: number; to: number; latencyMs: number }[], a: number, b: number): number {
  switch (m.kind) {
    case 'tiered':
      return tieredLatency(m, a, b);
    case 'geometric':
      return geometricLatency(m, a, b);
    case 'shortest-path':
      return shortestPathLatency(links, a, b);
  }
}

export type { ScenarioTopology };
