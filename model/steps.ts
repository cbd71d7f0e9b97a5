import { z } from 'zod';
import { latencyMsSchema, nodeIdSchema } from './limits.js';
import type { Goal } from './types.js';

/*
 * The steps of a timeline (docs/scenario.md, `timeline`, `trace`, `dynamics`) as zod schemas: what
 * the scenario file, a trace file and POST /api/timeline accept. One step is one operation the
 * admin UI performs (controller/operations.ts applies them); the checks against the nodes and apps
 * that exist at the step's time are in model/timeline.ts. This file imports nothing of
 * model/scenario.ts, so the scenario schema can be built from it.
 */

/** The step kinds, in the order the reference lists them. */
export const STEP_KINDS = ['setLatency', 'setAvailability', 'nodeDown', 'nodeUp', 'addNode', 'setBandwidth', 'setGoal', 'deleteApp', 'deleteNode'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

const kind = <K extends StepKind>(k: K, what: string) => z.literal(k).describe(what);
const goalField = (what: string) => z.unknown().describe(`${what}: {metric, min} or {metric, max}, or {all: [...]} / {any: [...]} of goals`);

/** Toxiproxy's bandwidth toxic takes whole KB/s; a bound keeps the number sane. */
export const MAX_RATE_KBPS = 10_000_000;

export const stepSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: kind('setLatency', "set a link's latency, both ways (PUT /api/links/:from/:to)"),
      from: nodeIdSchema.describe('one end'),
      to: nodeIdSchema.describe('the other end'),
      latencyMs: latencyMsSchema.describe('the new mean latency, ms'),
    })
    .strict(),
  z
    .object({
      kind: kind('setAvailability', "set a node's availability (PUT /api/nodes/:id)"),
      node: nodeIdSchema.describe('the node'),
      availability: z.number().min(0).max(100).describe('percent'),
    })
    .strict(),
  z
    .object({
      kind: kind('nodeDown', 'take a node down: reads of its copies fail (the proxy of each app reading one resets them), the apps on it stop'),
      node: nodeIdSchema.describe('the node'),
    })
    .strict(),
  z
    .object({
      kind: kind('nodeUp', 'bring a node back up: its copies answer again, its apps start again'),
      node: nodeIdSchema.describe('the node'),
    })
    .strict(),
  z
    .object({
      kind: kind('addNode', 'add a node with its links to every node that exists then, and an app on it when a goal is given (POST /api/nodes)'),
      id: nodeIdSchema.describe('the new node id (its app, when a goal is given, gets the same id)'),
      name: z.string().min(1).max(100).optional().describe('display name (default node<id>)'),
      availability: z.number().min(0).max(100).describe('percent'),
      storage: z.boolean().default(true).describe('whether the node may host a copy of the data set'),
      latency: z.record(z.string(), z.number()).describe('latency in ms to every node that exists at that time, by node id, e.g. {1: 800, 2: 900}'),
      goal: goalField("the new app's goal (no goal: no app)").optional(),
    })
    .strict(),
  z
    .object({
      kind: kind('setBandwidth', "limit a link's bandwidth, both ways: runs of an app reading a copy over that link pay it (Toxiproxy's bandwidth toxic)"),
      from: nodeIdSchema.describe('one end'),
      to: nodeIdSchema.describe('the other end'),
      rateKBps: z.number().int().min(0).max(MAX_RATE_KBPS).describe('KB/s (1 KB = 1000 bytes, as Toxiproxy counts); 0 lifts the limit'),
    })
    .strict(),
  z
    .object({
      kind: kind('setGoal', "change an app's goal (acts on its next run)"),
      app: nodeIdSchema.describe('the app'),
      goal: goalField('the new goal'),
    })
    .strict(),
  z
    .object({
      kind: kind('deleteApp', 'delete an app: it stops, its row and impact vectors go, its runs and events stay (DELETE /api/apps/:id)'),
      app: nodeIdSchema.describe('the app'),
    })
    .strict(),
  z
    .object({
      kind: kind('deleteNode', "delete a node: its apps stop and go, its links and copies go, readers of its copies are re-pointed to the nearest other copy; refused when it holds a data set's last copy that another node's app reads (DELETE /api/nodes/:id)"),
      node: nodeIdSchema.describe('the node'),
    })
    .strict(),
]);

export const timedStepSchema = z
  .object({
    at: z.number().min(0).describe('seconds from the start of the run (fogsim run: before --duration)'),
    do: stepSchema.describe('the operation, by kind'),
  })
  .strict();

const linkRef = z.object({ from: nodeIdSchema.describe('one end'), to: nodeIdSchema.describe('the other end') }).strict();

export const dynamicsSchema = z
  .object({
    seed: z.number().int().optional().describe("seed of the draws (default: the scenario's seed, so fogsim run --seed changes them too)"),
    horizonS: z.number().positive().default(3600).describe('steps are drawn up to this many seconds (fogsim run: up to its --duration when that is shorter)'),
    latencyWalk: z
      .object({
        sdMs: z.number().positive().describe('sd of each step of the walk, ms'),
        stepS: z.number().positive().describe('seconds between two steps'),
        links: z.array(linkRef).min(1).optional().describe('the links that walk (default: every link of the scenario)'),
      })
      .strict()
      .optional()
      .describe("a random walk of each link's latency from its scenario value: every stepS a setLatency step adds a normal draw of sd sdMs (kept within 0 and the latency bound)"),
    outages: z
      .object({
        mtbfS: z.number().positive().describe('mean time between failures of a node (exponential), s'),
        mttrS: z.number().positive().describe('mean time to repair (exponential), s'),
        nodes: z.array(nodeIdSchema).min(1).optional().describe('the nodes that fail (default: every node of the scenario)'),
      })
      .strict()
      .optional()
      .describe('outages of each node: nodeDown after an exponential draw of mean mtbfS, nodeUp after one of mean mttrS, again and again'),
  })
  .strict();

/** One operation, as applied (goals validated). */
export type Step =
  | { kind: 'setLatency'; from: number; to: number; latencyMs: number }
  | { kind: 'setAvailability'; node: number; availability: number }
  | { kind: 'nodeDown'; node: number }
  | { kind: 'nodeUp'; node: number }
  | { kind: 'addNode'; id: number; name?: string; availability: number; storage: boolean; latency: Record<string, number>; goal?: Goal }
  | { kind: 'setBandwidth'; from: number; to: number; rateKBps: number }
  | { kind: 'setGoal'; app: number; goal: Goal }
  | { kind: 'deleteApp'; app: number }
  | { kind: 'deleteNode'; node: number };

/** A step of the run's timeline: when, what, and where it came from (for messages and the report). */
export interface TimedStep {
  /** seconds from the start of the run */
  at: number;
  do: Step;
  /** the path that defined it: `timeline[2]`, `trace[line 4]`, `dynamics.latencyWalk`, `dynamics.outages` */
  origin: string;
}

export type Dynamics = z.output<typeof dynamicsSchema>;

/** A step as the schema parses it: its goal not checked yet (model/timeline.ts checkStep does). */
export type RawStep = z.output<typeof stepSchema>;

/** Where an applied step came from: the scenario's timeline (with its trace and dynamics) or the admin UI / API by hand. */
export type StepSource = 'timeline' | 'admin';
export const STEP_SOURCES: readonly StepSource[] = ['timeline', 'admin'];

/** One applied step, as the store records it. */
export interface TimelineRow {
  id: number;
  /** epoch ms when it was applied */
  atMs: number;
  kind: StepKind;
  /** the step's fields but its kind */
  args: Record<string, unknown>;
  source: StepSource;
  /** why it could not be applied; null when it was */
  error: string | null;
}

export type NewTimelineRow = Omit<TimelineRow, 'id'>;

/** A step's fields but its kind, as recorded. */
export function stepArgs(step: Step): Record<string, unknown> {
  const { kind: _kind, ...args } = step;
  return args;
}

/** One line: `setLatency 1-2 200 ms`, `nodeDown node 2`. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'setLatency':
      return `setLatency ${step.from}-${step.to} ${step.latencyMs} ms`;
    case 'setAvailability':
      return `setAvailability node ${step.node} ${step.availability} %`;
    case 'nodeDown':
    case 'nodeUp':
      return `${step.kind} node ${step.node}`;
    case 'addNode':
      return `addNode node ${step.id}${step.goal ? ' with an app' : ''}`;
    case 'setBandwidth':
      return `setBandwidth ${step.from}-${step.to} ${step.rateKBps ? `${step.rateKBps} KB/s` : 'unlimited'}`;
    case 'setGoal':
      return `setGoal app ${step.app}`;
    case 'deleteApp':
      return `deleteApp app ${step.app}`;
    case 'deleteNode':
      return `deleteNode node ${step.node}`;
  }
}
