import { z } from 'zod';
import { MAX_LATENCY_MS } from '../limits.js';
import { appSeed, createRng, type Rng } from '../../util/rng.js';

/*
 * What the generators of model/generators/ share: the node availability distribution, the
 * storage fraction, per-purpose random streams and a per-pair jitter that needs no storage
 * (a 10,000-node topology has 50M pairs: a pair's jitter is a hash of the pair, not a stored draw).
 */

/** A generated node: the shape of scenario `nodes[]` after defaults. */
export interface GeneratedNode {
  id: number;
  name: string;
  availability: number;
  storage: boolean;
}

export const availabilitySchema = z
  .object({
    min: z.number().min(0).max(100).optional().describe('uniform draw: lowest availability, percent'),
    max: z.number().min(0).max(100).optional().describe('uniform draw: highest availability, percent'),
    mean: z.number().min(0).max(100).optional().describe('normal draw (clamped to 0..100): mean, percent'),
    sd: z.number().min(0).optional().describe('normal draw: standard deviation, percent'),
  })
  .strict()
  .describe('availability of each generated node: {min, max} (uniform) or {mean, sd} (normal, clamped to 0..100)');

export type AvailabilitySpec = z.infer<typeof availabilitySchema>;

export const DEFAULT_AVAILABILITY: AvailabilitySpec = { min: 90, max: 100 };

export const storageFractionSchema = z.number().min(0).max(1).describe('fraction of the generated nodes that may host a copy of the data set (chosen at random, rounded)');

/** Checks a distribution's shape; pushes `path: ...` problems. */
export function checkAvailability(a: AvailabilitySpec, path: string, errors: string[]): void {
  const uniform = a.min !== undefined || a.max !== undefined;
  const normal = a.mean !== undefined || a.sd !== undefined;
  if (uniform && normal) errors.push(`${path}: give {min, max} (uniform) or {mean, sd} (normal), not both`);
  else if (uniform && (a.min === undefined || a.max === undefined)) errors.push(`${path}: a uniform draw needs both min and max`);
  else if (normal && (a.mean === undefined || a.sd === undefined)) errors.push(`${path}: a normal draw needs both mean and sd`);
  else if (!uniform && !normal) errors.push(`${path}: give {min, max} (uniform) or {mean, sd} (normal)`);
  else if (uniform && a.min! > a.max!) errors.push(`${path}.min: must be <= max (${a.max}), got ${a.min}`);
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function drawAvailability(a: AvailabilitySpec, rng: Rng): number {
  if (a.mean !== undefined) return round2(Math.min(100, Math.max(0, rng.normal(a.mean, a.sd ?? 0))));
  const lo = a.min ?? 0;
  return round2(lo + (a.max! - lo) * rng.next());
}

/** Exactly round(fraction * count) of `count` flags set, at places drawn from `rng`. */
export function drawStorage(count: number, fraction: number, rng: Rng): boolean[] {
  const k = Math.round(fraction * count);
  const order = Array.from({ length: count }, (_, i) => i);
  // a partial Fisher-Yates: the first k of a random order
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(count - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const out = new Array<boolean>(count).fill(false);
  for (let i = 0; i < k; i++) out[order[i]!] = true;
  return out;
}

/** Salts of the independent streams of one topology seed: drawing more of one never shifts another. */
export const STREAM = { place: 1, availability: 2, storage: 3, jitter: 4, apps: 5, goals: 6 } as const;

export function streamRng(seed: number, stream: number): Rng {
  return createRng(appSeed(seed ^ 0x67656e, stream));
}

/** A number in [0, 1) fixed by the seed and the unordered pair {a, b}: the pair's jitter. */
export function pairUnit(seed: number, a: number, b: number): number {
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(lo, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x27d4eb2f) ^ Math.imul(hi, 0x165667b1);
  h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** A latency with a symmetric jitter of +-jitterMs for the pair, kept within 0..MAX_LATENCY_MS, 0.1 ms steps. */
export function jittered(ms: number, jitterMs: number, seed: number, a: number, b: number): number {
  const v = jitterMs > 0 ? ms + jitterMs * (2 * pairUnit(seed, a, b) - 1) : ms;
  return Math.round(Math.min(MAX_LATENCY_MS, Math.max(0, v)) * 10) / 10;
}
