import { z } from 'zod';
import { latencyMsSchema, MAX_SCENARIO_ID } from '../limits.js';
import {
  availabilitySchema,
  checkAvailability,
  DEFAULT_AVAILABILITY,
  drawAvailability,
  drawStorage,
  jittered,
  storageFractionSchema,
  STREAM,
  streamRng,
  type GeneratedNode,
} from './common.js';
import type { GeneratedTopology, LatencyModel, TierInfo } from './types.js';

/*
 * A cloud / fog / edge style topology: tiers in order (the first is the top), nodes per tier as a
 * count, a fraction, or the rest; latency by tier pair: withinMs inside a tier, upMs to the tier
 * above, the sum of the hops between two tiers further apart, unless `latency` names the pair.
 */

const tierSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a tier name is a letter then letters, digits, - or _').describe('name of the tier; its nodes are named <name><k>'),
    count: z.number().int().min(0).optional().describe('nodes in this tier'),
    fraction: z.number().min(0).max(1).optional().describe('share of topology.nodes in this tier (rounded down); a tier with neither count nor fraction takes the rest'),
    availability: availabilitySchema.optional().describe("this tier's availability distribution (default topology.availability)"),
    storage: storageFractionSchema.optional().describe("this tier's storage fraction (default topology.storage)"),
    withinMs: latencyMsSchema.describe('latency between two nodes of this tier, ms'),
    upMs: latencyMsSchema.optional().describe('latency from a node of this tier to one of the tier above, ms (required for every tier but the first)'),
  })
  .strict();

export const tieredSchema = z
  .object({
    generator: z.literal('tiered').describe('tiers of nodes (cloud / fog / edge), latency by tier pair'),
    nodes: z.number().int().min(2).max(MAX_SCENARIO_ID).describe('how many nodes (ids 1..nodes, the first tier first)'),
    seed: z.number().int().optional().describe("seed of the draws (default: the scenario's seed)"),
    tiers: z.array(tierSchema).min(1).describe('the tiers, top first'),
    latency: z
      .array(
        z
          .object({
            tiers: z.tuple([z.string(), z.string()]).describe('the two tiers (the same name twice: inside that tier)'),
            ms: latencyMsSchema.describe('latency between a node of one and a node of the other, ms'),
          })
          .strict(),
      )
      .default([])
      .describe('latency of a tier pair, over withinMs / upMs and the sum of hops'),
    jitterMs: z.number().min(0).default(0).describe('each node pair deviates by a fixed draw in +-jitterMs from its tier latency'),
    availability: availabilitySchema.default(DEFAULT_AVAILABILITY),
    storage: storageFractionSchema.default(1),
  })
  .strict();

export type TieredSpec = z.infer<typeof tieredSchema>;

/** Nodes per tier: counts, then fractions rounded down, then the rest to the tier with neither (or the last). */
function tierCounts(spec: TieredSpec, errors: string[]): number[] | undefined {
  const before = errors.length;
  const rest: number[] = [];
  const counts = spec.tiers.map((t, i) => {
    if (t.count !== undefined && t.fraction !== undefined) errors.push(`topology.tiers[${i}]: give count or fraction, not both`);
    if (t.count === undefined && t.fraction === undefined) rest.push(i);
    return t.count ?? Math.floor((t.fraction ?? 0) * spec.nodes);
  });
  if (rest.length > 1) errors.push(`topology.tiers[${rest[1]}]: only one tier may leave out count and fraction (it takes the rest); tiers[${rest[0]}] already does`);
  const sum = counts.reduce((a, b) => a + b, 0);
  if (sum > spec.nodes) errors.push(`topology.tiers: the tiers hold ${sum} nodes, more than topology.nodes (${spec.nodes}); lower a count or fraction`);
  if (errors.length > before) return undefined;
  counts[rest[0] ?? counts.length - 1]! += spec.nodes - sum;
  return counts;
}

/** The tier-pair latency matrix, tiers x tiers. */
function tierMatrix(spec: TieredSpec, errors: string[]): Float64Array | undefined {
  const before = errors.length;
  const T = spec.tiers.length;
  spec.tiers.forEach((t, i) => {
    if (i > 0 && t.upMs === undefined) errors.push(`topology.tiers[${i}].upMs: required; latency from tier ${t.name} to tier ${spec.tiers[i - 1]!.name} above, ms`);
  });
  const names = new Map<string, number>();
  spec.tiers.forEach((t, i) => {
    if (names.has(t.name)) errors.push(`topology.tiers[${i}].name: duplicate tier name "${t.name}" (also tiers[${names.get(t.name)}])`);
    else names.set(t.name, i);
  });
  if (errors.length > before) return undefined;
  const ms = new Float64Array(T * T);
  for (let i = 0; i < T; i++) {
    ms[i * T + i] = spec.tiers[i]!.withinMs;
    let sum = 0;
    for (let j = i + 1; j < T; j++) {
      sum += spec.tiers[j]!.upMs!;
      ms[i * T + j] = ms[j * T + i] = sum;
    }
  }
  spec.latency.forEach((l, k) => {
    const [a, b] = l.tiers.map((n, e) => {
      const i = names.get(n);
      if (i === undefined) errors.push(`topology.latency[${k}].tiers[${e}]: unknown tier "${n}"; tiers: ${[...names.keys()].join(', ')}`);
      return i;
    });
    if (a !== undefined && b !== undefined) ms[a * T + b] = ms[b * T + a] = l.ms;
  });
  return errors.length > before ? undefined : ms;
}

export function generateTiered(spec: TieredSpec, seed: number, errors: string[]): GeneratedTopology | undefined {
  checkAvailability(spec.availability, 'topology.availability', errors);
  spec.tiers.forEach((t, i) => t.availability && checkAvailability(t.availability, `topology.tiers[${i}].availability`, errors));
  if (spec.tiers.length > 65535) errors.push('topology.tiers: at most 65535 tiers');
  const counts = tierCounts(spec, errors);
  const ms = tierMatrix(spec, errors);
  if (!counts || !ms || errors.length) return undefined;

  const availabilityRng = streamRng(seed, STREAM.availability);
  const storageRng = streamRng(seed, STREAM.storage);
  const tierOf = new Uint16Array(spec.nodes);
  const nodes: GeneratedNode[] = [];
  const tiers: TierInfo[] = [];
  let id = 1;
  spec.tiers.forEach((t, ti) => {
    const n = counts[ti]!;
    tiers.push({ name: t.name, first: id, count: n });
    const storage = drawStorage(n, t.storage ?? spec.storage, storageRng);
    const dist = t.availability ?? spec.availability;
    for (let k = 0; k < n; k++, id++) {
      tierOf[id - 1] = ti;
      nodes.push({ id, name: `${t.name}${k + 1}`, availability: drawAvailability(dist, availabilityRng), storage: storage[k]! });
    }
  });
  const latency: LatencyModel = { kind: 'tiered', seed, tierOf, tiers: spec.tiers.length, ms, jitterMs: spec.jitterMs };
  // the data set starts on the first storage node of the top-most tier that has one (the cloud)
  const datasetNode = nodes.find((n) => n.storage)?.id;
  return { nodes, links: [], topology: { generator: 'tiered', tiers, latency }, datasetNode };
}

export function tieredLatency(m: Extract<LatencyModel, { kind: 'tiered' }>, a: number, b: number): number {
  const ta = m.tierOf[a - 1];
  const tb = m.tierOf[b - 1];
  if (ta === undefined || tb === undefined) return 0;
  return jittered(m.ms[ta * m.tiers + tb]!, m.jitterMs, m.seed, a, b);
}
