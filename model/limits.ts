import { z } from 'zod';

/*
 * Bounds on the numbers a user sets (scenario file, API bodies, CLI flags), in one place so
 * every validator agrees. A value past these would be accepted and then break something far
 * away: a latency turns into a timer, an id into a route the API cannot address.
 */

/** Node and app ids are integers 1..MAX_NODE_ID (the API's routes and bodies; proxy ports are allocated, not derived from ids). */
export const MAX_NODE_ID = 9999;

/**
 * Ids in a scenario file may go higher: a generated topology of 10,000 nodes needs ids past
 * MAX_NODE_ID. Such a scenario runs in virtual time only; emulation refuses it before starting
 * anything (assertEmulable in model/scenario.ts), since the controller's API addresses ids up to MAX_NODE_ID only.
 */
export const MAX_SCENARIO_ID = 1_000_000;

/** Link latency in ms: 0..MAX_LATENCY_MS (10 minutes; a run pays it on every request). */
export const MAX_LATENCY_MS = 600_000;

export const NODE_ID_RANGE = `an integer from 1 to ${MAX_NODE_ID}`;
export const SCENARIO_ID_RANGE = `an integer from 1 to ${MAX_SCENARIO_ID}`;
export const LATENCY_RANGE = `a number of ms from 0 to ${MAX_LATENCY_MS} (10 minutes)`;

/** How a bad input reads in a message: `1e400` is Infinity, not `null` as JSON.stringify has it. */
export function showValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'bigint') return `${String(v)}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function isNodeId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_NODE_ID;
}

/** The problem with a node or app id, or undefined when it is valid. */
export function nodeIdProblem(v: unknown): string | undefined {
  return isNodeId(v) ? undefined : `must be ${NODE_ID_RANGE}, got ${showValue(v)}`;
}

/** The problem with a latency in ms, or undefined when it is valid. */
export function latencyProblem(v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return `must be ${LATENCY_RANGE}, got ${showValue(v)}`;
  if (v < 0) return `must be >= 0 ms, got ${v}`;
  if (v > MAX_LATENCY_MS) return `must be at most ${MAX_LATENCY_MS} ms (10 minutes), got ${v}`;
  return undefined;
}

/** A node or app id in a zod schema (scenario file, API bodies). */
export const nodeIdSchema = z
  .number()
  .int()
  .refine((n) => n >= 1 && n <= MAX_NODE_ID, { error: (iss) => `must be ${NODE_ID_RANGE}, got ${showValue(iss.input)}` })
  // the refinement is invisible to JSON Schema: the bounds as metadata, for the generated references
  .meta({ minimum: 1, maximum: MAX_NODE_ID });

/** A link latency in a zod schema: "must be >= 0" below, the bound above. */
export const latencyMsSchema = z
  .number()
  .min(0)
  .refine((n) => n <= MAX_LATENCY_MS, { error: (iss) => `must be at most ${MAX_LATENCY_MS} ms (10 minutes), got ${showValue(iss.input)}` })
  .meta({ maximum: MAX_LATENCY_MS });

/** A node or app id in a scenario file (emulation narrows it to MAX_NODE_ID). */
export const scenarioIdSchema = z
  .number()
  .int()
  .refine((n) => n >= 1 && n <= MAX_SCENARIO_ID, { error: (iss) => `must be ${SCENARIO_ID_RANGE}, got ${showValue(iss.input)}` })
  .meta({ minimum: 1, maximum: MAX_SCENARIO_ID });
