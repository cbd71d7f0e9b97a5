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
import type { GeneratedTopology, LatencyModel } from './types.js';

/*
 * Nodes placed uniformly at random in a rectangle (area) or a disc (radius); the latency of a
 * pair is baseMs + msPerUnit * their distance, so it grows with distance and (without jitter)
 * keeps the triangle inequality.
 */

export const randomGeometricSchema = z
  .object({
    generator: z.literal('random-geometric').describe('nodes at random in a plane, latency from distance'),
    nodes: z.number().int().min(2).max(MAX_SCENARIO_ID).describe('how many nodes (ids 1..nodes)'),
    seed: z.number().int().optional().describe("seed of the draws (default: the scenario's seed)"),
    area: z
      .object({ width: z.number().positive().describe('width, units'), height: z.number().positive().describe('height, units') })
      .strict()
      .optional()
      .describe('place the nodes in this rectangle (default 100 x 100 when radius is not given)'),
    radius: z.number().positive().optional().describe('place the nodes in a disc of this radius, units (instead of area)'),
    baseMs: latencyMsSchema.default(1).describe('latency between two nodes at the same place, ms'),
    msPerUnit: z.number().min(0).default(1).describe('latency per unit of distance, ms'),
    jitterMs: z.number().min(0).default(0).describe('each node pair deviates by a fixed draw in +-jitterMs'),
    availability: availabilitySchema.default(DEFAULT_AVAILABILITY),
    storage: storageFractionSchema.default(1),
  })
  .strict();

export type RandomGeometricSpec = z.infer<typeof randomGeometricSchema>;

export function generateRandomGeometric(spec: RandomGeometricSpec, seed: number, errors: string[]): GeneratedTopology | undefined {
  checkAvailability(spec.availability, 'topology.availability', errors);
  if (spec.area && spec.radius !== undefined) errors.push('topology: give area or radius, not both');
  if (errors.length) return undefined;
  const n = spec.nodes;
  const place = streamRng(seed, STREAM.place);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const { width, height } = spec.area ?? { width: 100, height: 100 };
  for (let i = 0; i < n; i++) {
    if (spec.radius !== undefined) {
      // uniform in the disc: the radius as the root of a uniform draw
      const r = spec.radius * Math.sqrt(place.next());
      const t = 2 * Math.PI * place.next();
      x[i] = r * Math.cos(t);
      y[i] = r * Math.sin(t);
    } else {
      x[i] = width * place.next();
      y[i] = height * place.next();
    }
  }
  const availabilityRng = streamRng(seed, STREAM.availability);
  const storage = drawStorage(n, spec.storage, streamRng(seed, STREAM.storage));
  const nodes: GeneratedNode[] = [];
  for (let i = 0; i < n; i++) nodes.push({ id: i + 1, name: `node${i + 1}`, availability: drawAvailability(spec.availability, availabilityRng), storage: storage[i]! });
  const latency: LatencyModel = { kind: 'geometric', seed, x, y, baseMs: spec.baseMs, msPerUnit: spec.msPerUnit, jitterMs: spec.jitterMs };
  // the data set starts on the storage node nearest the centre
  const cx = spec.radius !== undefined ? 0 : width / 2;
  const cy = spec.radius !== undefined ? 0 : height / 2;
  let datasetNode: number | undefined;
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const d = (x[i]! - cx) ** 2 + (y[i]! - cy) ** 2;
    if (storage[i] && d < best) [best, datasetNode] = [d, i + 1];
  }
  return { nodes, links: [], topology: { generator: 'random-geometric', latency }, datasetNode };
}

export function geometricLatency(m: Extract<LatencyModel, { kind: 'geometric' }>, a: number, b: number): number {
  const ax = m.x[a - 1];
  const bx = m.x[b - 1];
  if (ax === undefined || bx === undefined) return 0;
  const d = Math.hypot(ax - bx, m.y[a - 1]! - m.y[b - 1]!);
  return jittered(m.baseMs + m.msPerUnit * d, m.jitterMs, m.seed, a, b);
}
