import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { z } from 'zod';
import { METRICS, STREAM_METRICS, type Metric, type StreamMetric } from './metrics.js';
import { SCALE_RULES, WINDOWED_SCALING, type ScaleRule, type WindowedScaling } from '../decision/scale.js';
import { UserError } from './errors.js';
import { readYaml, YamlError } from './yaml.js';
import { latencyMsSchema, MAX_NODE_ID, scenarioIdSchema, showValue } from './limits.js';
import type { Goal, GoalOf } from './types.js';
import { dynamicsSchema, timedStepSchema, type TimedStep } from './steps.js';
import { checkDynamics, checkTimeline, fromScenario, readTrace, type RawTimedStep } from './timeline.js';
import { checkTopicName } from '../stream/bus.js';
import { dataPathModelSchema, type DataPathModel } from '../sim/data-path.js';
import { BUILTIN_STRATEGY_NAMES, checkStrategySpec, DEFAULT_STRATEGY, strategyBaseDir } from '../decision/strategies/spec.js';
import { appGeneratorSchema, generateApps } from './generators/apps.js';
import { buildTopology, modelLatency, normalizeTopology, topologySchema, type ScenarioTopology } from './generators/topology.js';
import type { GeneratedTopology } from './generators/types.js';

/*
 * The scenario model: one YAML file describes nodes, links, apps and goals, the data set,
 * timings and every decision parameter of docs/scenario.md (with its defaults).
 * Validation reports every problem with a path such as `apps[0].goal.all[1].metric`.
 */

const int = (min: number) => z.number().int().min(min);
const ms = z.number().min(0);

const metricSet = (def: Record<Metric, number>) =>
  z
    .object(Object.fromEntries(METRICS.map((m) => [m, z.number().positive().default(def[m])])) as Record<Metric, z.ZodDefault<z.ZodNumber>>)
    .strict()
    .prefault({});

// Every field carries its description: docs/scenario.md is generated from these (npm run docs).
const nodeSchema = z
  .object({
    id: scenarioIdSchema.describe('node id'),
    name: z.string().min(1).optional().describe('display name (default node<id>)'),
    availability: z.number().min(0).max(100).describe('availability of the node, percent'),
    storage: z.boolean().default(true).describe('whether the node may host a copy of the data set'),
  })
  .strict();

const linkSchema = z
  .object({ from: scenarioIdSchema.describe('one end'), to: scenarioIdSchema.describe('the other end'), latencyMs: latencyMsSchema.describe('mean latency between the two, ms (both ways)') })
  .strict();

/** A partial rho set: an app overrides only the metrics it names (the original kept one per app). */
const rhoOverrides = z.object(Object.fromEntries(METRICS.map((m) => [m, z.number().positive().optional()])) as Record<Metric, z.ZodOptional<z.ZodNumber>>).strict();

const appSchema = z
  .object({
    kind: z.literal('batch').optional().describe('batch (the default): the analytic job in a loop over a data set copy; stream: see the stream app fields'),
    id: scenarioIdSchema.describe('app id'),
    node: scenarioIdSchema.describe('the node the app runs on'),
    goal: z.unknown().describe('the QoS goal: {metric, min} or {metric, max}, or {all: [...]} / {any: [...]} of goals'),
    rho: rhoOverrides.optional().describe("this app's normalisation constants, over decision.rho, metric by metric"),
    strategy: z.string().min(1).optional().describe("this app's strategy, over the scenario's strategy"),
  })
  .strict();

/*
 * A stream app (issue 19, stream/app/): a consumer group over a topic that aggregates per window
 * and publishes the results to `<topic>.results`, with a goal over its window metrics and a
 * scaling rule (decision/scale.ts) that sets its number of workers.
 */
const streamAppSchema = z
  .object({
    kind: z.literal('stream').describe('a stream app'),
    id: scenarioIdSchema.describe('app id (not shared with a batch app: events and counters are per app id)'),
    topic: z.string().min(1).describe('the topic it consumes (a workloads entry must produce it)'),
    node: scenarioIdSchema.optional().describe('the node its workers run on (default: the first node); they pay the link latency between it and stream.busNode'),
    windowS: z.number().positive().default(5).describe('W: window length, seconds; aggregates, metrics and the decision are per window'),
    workers: int(1).default(1).describe('workers (consumers of its group) at the start'),
    maxWorkers: int(1).default(8).describe('the most workers the rule may set (at most the topic\'s partitions: a worker beyond them would hold none)'),
    costMs: z
      .number()
      .positive()
      .describe('service time a worker spends per record, ms (it waits it out, so workers in one process run side by side): what makes one worker\'s throughput finite (about 1000 / costMs records/s) and scaling matter'),
    goal: z.unknown().describe(`the QoS goal over the window metrics (${STREAM_METRICS.join(', ')}; latency = end-to-end p95, ms): {metric, max|min}, or all / any of goals`),
    scale: z
      .object({
        rule: z.enum(SCALE_RULES).default('autoscaler').describe('autoscaler (seed 004): n = ceil(input rate / observed throughput per worker); ds2: n = ceil(input rate / true rate per worker), true rate = processed / busy time'),
        violationsInARow: int(1).default(3).describe('violated windows in a row before the rule acts'),
        windowed: z.enum(WINDOWED_SCALING).default('rate').describe('autoscaler only: add2 scales this windowed app to current + 2 (the seed\'s windows + 2) instead of the rate rule'),
      })
      .strict()
      .prefault({})
      .describe('how the app rescales (decision/scale.ts)'),
    strategy: z.string().min(1).optional().describe("this app's strategy, over the scenario's strategy: what it does once its scale rule's trigger fired (docs/strategies.md, Stream apps)"),
  })
  .strict();

const workloadSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('bloodtests').describe("replays the scenario's data set records as JSON messages, cycling") }).strict(),
  z
    .object({
      kind: z.literal('module').describe("a user's simulation in cadCAD's shape (docs/workloads.md): initial state, policies, state updates, emit"),
      path: z.string().min(1).describe('the .js or .mjs module, relative to this file'),
      params: z.record(z.string(), z.unknown()).optional().describe("parameters over the module's own, key by key"),
      runs: int(1).default(1).describe("Monte Carlo runs (cadCAD's N), stepped in turn, each seeded from the scenario's seed"),
    })
    .strict(),
  z
    .object({
      kind: z.literal('csv').describe('a CSV file replayed row by row as JSON messages, cycling; the header row names the fields, numbers are parsed'),
      file: z.string().min(1).describe('the CSV file (RFC 4180), relative to this file'),
      key: z.string().min(1).optional().describe("a column whose value keys the message (over the workload's key)"),
    })
    .strict(),
]);

const workloadSchema = z
  .object({
    id: z.string().min(1).describe('name of the workload (in the report)'),
    topic: z.string().min(1).describe('the topic it produces to (created with `partitions`)'),
    partitions: int(1).max(10_000).default(12).describe('partitions of the topic'),
    source: workloadSourceSchema.describe('where the messages come from (stream/workload/sources.ts)'),
    rate: z.number().positive().describe('target rate, messages/s, in total: split evenly across the producers'),
    producers: int(1).max(1000).default(1).describe('producers sending the workload side by side, each at rate / producers'),
    nodes: z
      .array(scenarioIdSchema)
      .min(1)
      .optional()
      .describe('the nodes the producers run on, round-robin (producer i on nodes[i % length]); default: the first node. Each pays the link latency between its node and stream.busNode'),
    batch: int(1).default(100).describe('most messages in one send'),
    waitMs: z
      .number()
      .min(0)
      .max(60_000)
      .default(0)
      .describe("wait time: how long a producer waits for a batch to fill before it sends the messages due (Kafka's linger.ms); 0: it sends what is due at once"),
    key: z.string().min(1).optional().describe('a record field whose value keys the message (same key, same partition); default none: round-robin'),
    rateSteps: z
      .array(z.object({ at: z.number().min(0).describe('seconds from the start'), rate: z.number().positive().describe('the new target rate, messages/s') }).strict())
      .default([])
      .describe('rate changes during the run, in time order'),
  })
  .strict();

const datasetSchema = z
  .object({
    records: int(1).default(20_000).describe('records of the generated data set (ignored when file is given)'),
    seed: z.number().int().default(1).describe('seed of the generated data set'),
    file: z.string().min(1).optional().describe('an existing JSON data set (plain or .gz) to load instead of generating one, relative to this file'),
    node: scenarioIdSchema
      .optional()
      .describe('node whose bucket holds the first copy (required with nodes; with a topology the default is a storage node of the first tier, the one nearest the centre, or the first)'),
    objectKey: z.string().min(1).default('bloodtests.json').describe('object key of the data set in the buckets'),
  })
  .strict()
  .prefault({});

const timingSchema = z
  .object({
    arrivalMeanMs: ms.default(2_000).describe('mean time between two runs of an app (normal draw), ms'),
    arrivalSdMs: ms.default(200).describe('sd of the time between two runs, ms'),
    feedbackWindowMs: z.number().positive().default(20_000).describe('T: how long an event stays open for feedback, ms'),
    maxRepairs: int(0).default(2).describe('repairs (act, re-run, check) in one cycle before waiting for the next arrival'),
    latencySdMs: ms.default(7).describe('sd of the per-run latency draw around the link latency, ms'),
  })
  .strict()
  .prefault({});

/** The job's range size when the scenario names none (also fogsim calibrate's default). */
export const DEFAULT_RANGE_BYTES = 4 * 1024 * 1024;

const jobSchema = z
  .object({
    rangeBytes: int(0)
      .default(DEFAULT_RANGE_BYTES)
      .describe("the job reads its object in ranged GETs of this many bytes, each paying the link's latency, so where the data lives changes ET and X too (0: one GET)"),
    timeoutMs: z.number().positive().default(120_000).describe('a run that takes longer is recorded as failed (a stalled link never stalls the app for good), ms'),
  })
  .strict()
  .prefault({});

const defaultRho: Record<Metric, number> = {
  responseTime: 1_000,
  executionTime: 200,
  throughput: 100_000,
  latency: 1_000,
  availability: 10,
  consistency: 0.5,
};

const decisionSchema = z
  .object({
    scoring: z
      .enum(['original', 'weighted'])
      .default('original')
      .describe("original: the original's rule (weights only when an impact involved is negative, the mean when every term is violated, an OR goal scored on the term it restores); weighted: w_v / w_s over every term, divided by the number of terms"),
    feedbackScope: z.enum(['copy', 'family']).default('copy').describe('copy: feedback on events of the copy the app reads (the original); family: on any copy of its data set'),
    weightViolated: z.number().min(0).default(0.7).describe('w1: weight of the terms to restore when an impact involved is negative'),
    weightSatisfied: z.number().min(0).default(0.3).describe('w2: weight of the other terms (only their harm counts)'),
    costMove: z.number().positive().default(1.5).describe('cost of a move M{x}_{y}'),
    costCopy: z.number().positive().default(1.8).describe('cost of a copy C{x}_{y}'),
    costChangeRef: z.number().positive().default(1).describe('cost of a change of reference CR{y}'),
    costNone: z.number().positive().default(1).describe('cost of doing nothing (NA)'),
    counterPenalty: z.number().min(0).default(0.33).describe('b: global score = score * (1 - b * counter)'),
    epsilon: z.number().min(0).max(1).default(0.1).describe('probability of exploring: a random candidate instead of the best'),
    learningRate: z.number().min(0).max(1).default(0.5).describe('lr: impact = (1 - lr) * impact + lr * f(after - before)'),
    feedbackThreshold: z.number().default(0.3).describe('global feedback at or above this counts the action as harmful (counter + 1, else - 1)'),
    maxCopies: int(1).default(2).describe('k: copies beyond the first a data set may have'),
    rho: metricSet(defaultRho).describe('rho: normalisation constant of the impact function, per metric (apps[].rho overrides it)'),
  })
  .strict()
  .prefault({});

const trainingSchema = z
  .object({ iterations: int(1).default(5).describe('N: runs per node and pair in offline training') })
  .strict()
  .prefault({});

const convergenceSchema = z
  .object({
    windowRuns: int(1).default(3).describe('converged: over the last windowRuns runs of every app, goals met, no action, no event open'),
  })
  .strict()
  .prefault({});

const simSchema = z
  .object({
    model: z
      .string()
      .min(1)
      .optional()
      .describe('a data-path model (JSON) written by fogsim calibrate, relative to this file; the virtual-time engine times every job with it (default: the calibration built into sim/data-path.ts); fogsim simulate --model overrides it'),
  })
  .strict()
  .prefault({});

export const scenarioSchema = z
  .object({
    name: z.string().min(1).default('scenario').describe('name of the scenario (its trained vectors are kept under .fogsim/training/<name>)'),
    seed: z.number().int().default(1).describe('one seed makes a run repeatable (fogsim run --seed overrides it)'),
    strategy: z
      .string()
      .min(1)
      .default(DEFAULT_STRATEGY)
      .describe(`how apps choose an action (docs/strategies.md): ${BUILTIN_STRATEGY_NAMES.join(', ')}, or a path to a .js/.mjs module relative to this file (./my-strategy.js); apps[].strategy overrides it, fogsim run/up --strategy overrides both`),
    nodes: z.array(nodeSchema).min(1).optional().describe('the fog nodes (or topology)'),
    links: z.array(linkSchema).default([]).describe('latency between every two nodes (with nodes)'),
    topology: topologySchema
      .optional()
      .describe('instead of nodes and links: a generated (generator: tiered, random-geometric) or imported ({file: net.csv or net.graphml}) network; a pair has the latency of its model'),
    dataset: datasetSchema.describe('the data set the apps read'),
    job: jobSchema.describe('how the analytic job reads the data'),
    apps: z
      .union([z.array(z.discriminatedUnion('kind', [appSchema, streamAppSchema])).min(1), appGeneratorSchema])
      .describe('one app per entry, with its goal (kind: batch, the default, or stream); or {generator, count, goals} to generate batch apps'),
    workloads: z.array(workloadSchema).default([]).describe("producers of the stream apps' topics (stream/workload/)"),
    stream: z
      .object({
        busNode: scenarioIdSchema.optional().describe('the node the message bus lives on (default: the first node); producers and stream app workers elsewhere pay the link latency to it'),
      })
      .strict()
      .prefault({})
      .describe('the message bus of the workloads and stream apps (docs/workloads.md)'),
    timing: timingSchema.describe('arrivals, feedback window, repairs'),
    decision: decisionSchema.describe('every parameter of the decision system'),
    training: trainingSchema.describe('offline training'),
    convergence: convergenceSchema.describe('when a run counts as converged'),
    timeline: z.array(timedStepSchema).default([]).describe('steps applied during the run, each at its time: {at: <seconds>, do: {kind, ...}} (the operations of the admin UI)'),
    trace: z.string().min(1).optional().describe('a CSV file of more steps (columns at, kind, args; args as key=value;key=value), relative to this file'),
    dynamics: dynamicsSchema.optional().describe('seeded random dynamics, drawn as steps before the run starts'),
    sim: simSchema.describe('the virtual-time engine (fogsim simulate)'),
  })
  .strict();

type Parsed = z.infer<typeof scenarioSchema>;

export interface ScenarioNode {
  id: number;
  name: string;
  availability: number;
  storage: boolean;
}
export interface ScenarioApp {
  id: number;
  node: number;
  goal: Goal;
  /** overrides of decision.rho for this app */
  rho?: Partial<Record<Metric, number>>;
  /** overrides the scenario's strategy for this app */
  strategy?: string;
}
export interface StreamAppSpec {
  id: number;
  /** its index in the scenario file's apps[] (batch and stream apps share the list), for messages */
  entry: number;
  topic: string;
  /** the node its workers run on (the scenario's first node when not given) */
  node: number;
  windowS: number;
  workers: number;
  maxWorkers: number;
  costMs: number;
  goal: GoalOf<StreamMetric>;
  scale: { rule: ScaleRule; violationsInARow: number; windowed: WindowedScaling };
  /** overrides the scenario's strategy for this app */
  strategy?: string;
}
/** A workload with its producers' nodes filled in (the scenario's first node when not given). */
export type WorkloadSpec = Omit<Parsed['workloads'][number], 'nodes'> & { nodes: number[] };
export type WorkloadSourceSpec = WorkloadSpec['source'];
export type DecisionParams = Parsed['decision'];
export type TimingParams = Parsed['timing'];
export type JobParams = Parsed['job'];
export type Rho = Record<Metric, number>;

/** The normalisation constants of one app: the scenario's, with the app's own overrides. */
export function rhoFor(s: Pick<Scenario, 'decision' | 'apps'>, appId: number): Rho {
  const own = s.apps.find((a) => a.id === appId)?.rho ?? {};
  const out = { ...s.decision.rho };
  for (const m of METRICS) if (own[m] !== undefined) out[m] = own[m];
  return out;
}

export interface Scenario extends Omit<Parsed, 'nodes' | 'apps' | 'timeline' | 'topology' | 'dataset' | 'sim' | 'workloads' | 'stream'> {
  workloads: WorkloadSpec[];
  /** `busNode`: the node the message bus lives on (the first node when not given) */
  stream: { busNode: number };
  /** the apps of kind stream (apps[] entries with kind: stream); `apps` holds the batch apps */
  streamApps: StreamAppSpec[];
  /** `model`: the file as written; `dataPathModel`: its contents, read and checked when the scenario loaded */
  sim: { model?: string; dataPathModel?: DataPathModel };
  nodes: ScenarioNode[];
  apps: ScenarioApp[];
  dataset: Omit<Parsed['dataset'], 'node'> & { node: number };
  /** a generated or imported network: the latency of a pair without a link in `links` (linkLatency) */
  topology?: ScenarioTopology;
  /** the steps of `timeline` and of the `trace` file, checked, in time order (model/timeline.ts; the dynamics are drawn per run: expandTimeline) */
  timeline: TimedStep[];
  /** the file it came from, when it came from one */
  source?: string;
}

/** Path as users read it: `apps[0].goal.all[1].metric`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'invalid_union':
      // a timeline step of an unknown kind: name the kinds there are
      if ('discriminator' in issue && 'options' in issue && Array.isArray(issue.options)) {
        const given = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator as string];
        // an optional discriminator (apps[].kind: batch may be left out) is listed as undefined: not a value to write
        const expected = `expected one of ${issue.options.filter((o) => o !== undefined && o !== null).join(', ')}`;
        return given === undefined ? `${path}: required; ${expected}` : `${path}: unknown ${String(issue.discriminator)} ${showValue(given)}; ${expected}`;
      }
      // a list or a generator (apps): the problems of the branch of the input's shape, else both shapes
      if ('errors' in issue && Array.isArray(issue.errors)) {
        const wrongShape = (branch: z.core.$ZodIssue[]) => branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0;
        const fitting = issue.errors.filter((b) => !wrongShape(b));
        if (fitting.length === 1) return fitting[0]!.map((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] })).join('\n');
        const shapes = issue.errors.flatMap((b) => (wrongShape(b) ? [String((b[0] as { expected?: string }).expected)] : []));
        if (shapes.length === issue.errors.length) return `${path}: expected ${shapes.join(' or ')}, got ${showValue(issue.input)}`;
      }
      return `${path}: ${issue.message}`;
    case 'invalid_type':
      if (issue.input === undefined) return `${path}: required; expected ${issue.expected}`;
      // YAML reads 1e400 and .inf as Infinity, .nan as NaN: say so rather than "got null"
      if (typeof issue.input === 'number' && !Number.isFinite(issue.input)) return `${path}: expected a finite number, got ${showValue(issue.input)}`;
      // the YAML reader keeps a number too large for a double (1e400) as its text
      if (issue.expected === 'number' && typeof issue.input === 'string' && /^[-+]?(\d[\d_]*)?\.?\d*(e[-+]?\d+)?$/i.test(issue.input.trim()) && !Number.isFinite(Number(issue.input))) {
        return `${path}: expected a finite number, got ${issue.input.trim()} (beyond the range of a number)`;
      }
      return `${path}: expected ${issue.expected}, got ${JSON.stringify(issue.input)}`;
    case 'too_small':
      return `${path}: must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}${issue.origin === 'array' ? ' item(s)' : ''}`;
    case 'too_big':
      return `${path}: must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`;
    case 'unrecognized_keys': {
      // a stream app's field on a batch app's entry: most likely a --set / --grid path off by one entry
      const streamFields = /^apps\[\d+\]$/.test(path) && issue.keys.every((k) => k in streamAppSchema.shape);
      const fix = streamFields ? `${issue.keys.length > 1 ? 'they are fields' : 'it is a field'} of stream apps (kind: stream) and ${path} is a batch app: name a stream app's entry (apps[i] counts every entry of apps), or remove ${issue.keys.length > 1 ? 'them' : 'it'}` : 'remove or correct them';
      return `${path}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; ${fix}`;
    }
    default:
      return `${path}: ${issue.message}`;
  }
}

const GOAL_HINT = 'a goal is {metric, min} or {metric, max}, or {all: [...]} / {any: [...]} of goals';

/** Validates a goal expression, pushing path-precise errors; returns the typed goal when valid. */
export function parseGoal(raw: unknown, path: string, errors: string[]): Goal | undefined;
export function parseGoal<M extends string>(raw: unknown, path: string, errors: string[], metrics: readonly M[]): GoalOf<M> | undefined;
export function parseGoal(raw: unknown, path: string, errors: string[], metrics: readonly string[] = METRICS): GoalOf<string> | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    errors.push(`${path}: expected an object; ${GOAL_HINT}`);
    return undefined;
  }
  const obj = raw as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const combinator of ['all', 'any'] as const) {
    if (combinator in obj) {
      const extra = keys.filter((k) => k !== combinator);
      if (extra.length) errors.push(`${path}: unexpected field(s) ${extra.map((k) => `"${k}"`).join(', ')} beside "${combinator}"`);
      const list = obj[combinator];
      if (!Array.isArray(list) || list.length === 0) {
        errors.push(`${path}.${combinator}: expected a non-empty list of goals`);
        return undefined;
      }
      const parts = list.map((g, i) => parseGoal(g, `${path}.${combinator}[${i}]`, errors, metrics));
      if (parts.some((p) => p === undefined)) return undefined;
      return combinator === 'all' ? { all: parts as GoalOf<string>[] } : { any: parts as GoalOf<string>[] };
    }
  }
  const before = errors.length;
  const metric = obj.metric;
  if (typeof metric !== 'string' || !metrics.includes(metric)) {
    errors.push(
      metric === undefined
        ? `${path}.metric: required; ${GOAL_HINT}`
        : `${path}.metric: unknown metric ${JSON.stringify(metric)}; expected one of ${metrics.join(', ')}`,
    );
  }
  const hasMin = 'min' in obj;
  const hasMax = 'max' in obj;
  if (hasMin === hasMax) errors.push(`${path}: give exactly one of "min" or "max"`);
  const bound = hasMin ? obj.min : obj.max;
  if ((hasMin || hasMax) && (typeof bound !== 'number' || !Number.isFinite(bound))) {
    errors.push(`${path}.${hasMin ? 'min' : 'max'}: expected a number, got ${JSON.stringify(bound)}`);
  }
  const extra = keys.filter((k) => !['metric', 'min', 'max'].includes(k));
  if (extra.length) errors.push(`${path}: unknown field(s) ${extra.map((k) => `"${k}"`).join(', ')}; ${GOAL_HINT}`);
  if (errors.length > before) return undefined;
  if (metrics === METRICS && ((metric === 'availability' && ((bound as number) < 0 || (bound as number) > 100)) || (metric === 'consistency' && ((bound as number) < 0 || (bound as number) > 1)))) {
    errors.push(`${path}.${hasMin ? 'min' : 'max'}: ${metric} is ${metric === 'availability' ? 'a percentage (0-100)' : 'a ratio (0-1)'}, got ${bound}`);
    return undefined;
  }
  if ((bound as number) < 0) {
    errors.push(`${path}.${hasMin ? 'min' : 'max'}: must be >= 0, got ${bound}`);
    return undefined;
  }
  return hasMin ? { metric: metric as string, min: bound as number } : { metric: metric as string, max: bound as number };
}

function duplicates(ids: number[]): number[] {
  const seen = new Set<number>();
  const dup = new Set<number>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup];
}

/**
 * Validates a plain object as a scenario. Throws a UserError listing every problem
 * (`details`), each naming its path; returns the scenario with every default filled.
 */
export function parseScenario(raw: unknown, source?: string): Scenario {
  const errors: string[] = [];
  if (raw && typeof raw === 'object' && 'topology' in raw) raw = { ...raw, topology: normalizeTopology((raw as { topology: unknown }).topology) };
  const result = scenarioSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    // a union (apps: a list or a generator) may describe several problems of the branch that fits
    for (const issue of result.error.issues) errors.push(...describeIssue(issue).split('\n'));
    // goals are checked even when other fields fail, so one pass shows every problem
    const rawApps = raw && typeof raw === 'object' ? (raw as { apps?: unknown }).apps : undefined;
    if (Array.isArray(rawApps)) {
      rawApps.forEach((a, i) => {
        if (a && typeof a === 'object' && 'goal' in a) parseGoal((a as { goal: unknown }).goal, `apps[${i}].goal`, errors, (a as { kind?: unknown }).kind === 'stream' ? STREAM_METRICS : METRICS);
      });
    } else if (rawApps && typeof rawApps === 'object' && Array.isArray((rawApps as { goals?: unknown }).goals)) {
      (rawApps as { goals: unknown[] }).goals.forEach((g, i) => parseGoal(g, `apps.goals[${i}]`, errors));
    }
    // dataset.node is optional in the schema (a topology picks one) but not beside hand-written nodes
    const r = raw as { topology?: unknown; dataset?: { node?: unknown } } | null;
    if (r && typeof r === 'object' && r.topology === undefined && (r.dataset === undefined || (typeof r.dataset === 'object' && r.dataset?.node === undefined))) errors.push('dataset.node: required; expected number');
    throw scenarioError(errors, source);
  }
  const s = result.data;
  // a strategy path, an imported network are relative to the scenario file
  const baseDir = strategyBaseDir({ source });

  // the nodes: written out (nodes + links) or a topology, not both
  let generated: GeneratedTopology | undefined;
  const given = raw as Record<string, unknown>;
  if (s.topology) {
    if (s.nodes || 'links' in given) errors.push(`topology: give either nodes + links or topology, not both; remove ${s.nodes && 'links' in given ? 'nodes and links' : s.nodes ? 'nodes' : 'links'} or topology`);
    else generated = buildTopology(s.topology, s.seed, baseDir, errors);
  } else if (!s.nodes) errors.push('nodes: required; give the nodes (with links between every two) or a topology (generator: tiered, random-geometric, or file: ...)');
  if (errors.length) throw scenarioError(errors, source);
  const nodes = generated?.nodes ?? s.nodes!;
  const links = generated?.links ?? s.links;
  const nodeIds = nodes.map((n) => n.id);
  const known = new Set(nodeIds);
  const knownList = listIds(nodeIds);
  if (!generated) {
    for (const d of duplicates(nodeIds)) errors.push(`nodes: duplicate node id ${d}; every node needs its own id`);
    const pairs = new Map<string, number>();
    links.forEach((l, i) => {
      if (!known.has(l.from)) errors.push(`links[${i}].from: node ${l.from} does not exist; known nodes: ${knownList}`);
      if (!known.has(l.to)) errors.push(`links[${i}].to: node ${l.to} does not exist; known nodes: ${knownList}`);
      if (l.from === l.to) errors.push(`links[${i}]: a link joins two different nodes (latency to itself is 0)`);
      const key = `${l.from}-${l.to}`;
      if (pairs.has(key)) errors.push(`links[${i}]: duplicate link ${l.from} -> ${l.to} (also links[${pairs.get(key)}])`);
      pairs.set(key, i);
    });
    // O(nodes^2): only for a hand-written scenario (a generated one has a latency for every pair)
    for (const a of nodeIds) {
      for (const b of nodeIds) {
        if (a < b && !pairs.has(`${a}-${b}`) && !pairs.has(`${b}-${a}`)) {
          errors.push(`links: no latency between nodes ${a} and ${b}; add {from: ${a}, to: ${b}, latencyMs: ...}`);
        }
      }
    }
  }

  const apps: ScenarioApp[] = [];
  const streamApps: StreamAppSpec[] = [];
  if (Array.isArray(s.apps)) {
    for (const d of duplicates(s.apps.map((a) => a.id))) errors.push(`apps: duplicate app id ${d}; every app needs its own id`);
    s.apps.forEach((a, i) => {
      if (a.kind === 'stream') {
        const goal = parseGoal(a.goal, `apps[${i}].goal`, errors, STREAM_METRICS);
        if (a.node !== undefined && !known.has(a.node)) errors.push(`apps[${i}].node: node ${a.node} does not exist; known nodes: ${knownList}`);
        if (goal) streamApps.push({ id: a.id, entry: i, topic: a.topic, node: a.node ?? nodeIds[0]!, windowS: a.windowS, workers: a.workers, maxWorkers: a.maxWorkers, costMs: a.costMs, goal, scale: a.scale, ...(a.strategy !== undefined ? { strategy: a.strategy } : {}) });
        checkStreamApp(a, i, s.workloads, errors);
        return;
      }
      if (!known.has(a.node)) errors.push(`apps[${i}].node: node ${a.node} does not exist; known nodes: ${knownList}`);
      const goal = parseGoal(a.goal, `apps[${i}].goal`, errors);
      if (goal) apps.push({ id: a.id, node: a.node, goal, ...(a.rho ? { rho: a.rho } : {}), ...(a.strategy !== undefined ? { strategy: a.strategy } : {}) });
    });
  } else {
    const spec = s.apps;
    const goals = spec.goals.map((g, i) => parseGoal(g, `apps.goals[${i}]`, errors));
    if (goals.every((g) => g !== undefined)) apps.push(...(generateApps(spec, goals as Goal[], spec.seed ?? s.seed, nodeIds, generated?.topology.tiers, errors) ?? []));
  }
  const badStrategy = (spec: string, path: string) => {
    const problem = checkStrategySpec(spec, baseDir);
    if (problem) errors.push(`${path}: ${problem}`);
  };
  badStrategy(s.strategy, 'strategy');
  if (Array.isArray(s.apps)) s.apps.forEach((a, i) => a.strategy !== undefined && badStrategy(a.strategy, `apps[${i}].strategy`));
  checkWorkloads(s.workloads, errors, known, knownList, source);
  if (s.stream.busNode !== undefined && !known.has(s.stream.busNode)) errors.push(`stream.busNode: node ${s.stream.busNode} does not exist; known nodes: ${knownList}`);

  const datasetFile = s.dataset.file === undefined ? undefined : checkDatasetFile(fromScenario(source, s.dataset.file), errors);
  const datasetNode = s.dataset.node ?? generated?.datasetNode;
  if (datasetNode === undefined) {
    if (!generated) errors.push('dataset.node: required; expected number');
  } else if (!known.has(datasetNode)) errors.push(`dataset.node: node ${datasetNode} does not exist; known nodes: ${knownList}`);
  else if (!nodes.find((n) => n.id === datasetNode)!.storage) errors.push(`dataset.node: node ${datasetNode} has storage: false and cannot host the data set`);
  if (!nodes.some((n) => n.storage) && (s.decision.epsilon > 0 || generated)) errors.push(generated ? 'topology.storage: at least one node needs storage; raise topology.storage (or a tier\'s storage)' : 'nodes: at least one node needs storage: true');

  // the timeline and its trace, each step against the nodes and apps that exist at its time
  const steps: RawTimedStep[] = s.timeline.map((t, i) => ({ at: t.at, do: t.do, origin: `timeline[${i}]` }));
  if (s.trace !== undefined) steps.push(...readTrace(s.trace, source, errors));
  const timeline = checkTimeline(steps, { nodes: known, apps: new Set(apps.map((a) => a.id)) }, errors);
  checkDynamics({ dynamics: s.dynamics, links, nodes, topology: generated?.topology }, errors);

  // the model file is read here, once, so a bad one fails the load, not a run later
  let dataPathModel: DataPathModel | undefined;
  if (s.sim.model !== undefined) {
    try {
      dataPathModel = loadDataPathModel(fromScenario(source, s.sim.model), 'sim.model', 'the path is relative to the scenario file');
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      errors.push(e.message);
    }
  }

  if (errors.length) throw scenarioError(errors, source);
  const { topology: _spec, ...rest } = s;
  return {
    ...rest,
    nodes: generated ? generated.nodes : s.nodes!.map((n) => ({ ...n, name: n.name ?? `node${n.id}` })),
    links,
    ...(generated ? { topology: generated.topology } : {}),
    dataset: { ...s.dataset, node: datasetNode!, ...(datasetFile === undefined ? {} : { file: datasetFile }) },
    sim: { ...s.sim, ...(dataPathModel ? { dataPathModel } : {}) },
    apps,
    streamApps,
    workloads: s.workloads.map((w) => ({ ...w, nodes: w.nodes ?? [nodeIds[0]!] })),
    stream: { busNode: s.stream.busNode ?? nodeIds[0]! },
    timeline,
    source,
  };
}

type ParsedStreamApp = z.infer<typeof streamAppSchema>;

/** A stream app against the workloads: its topic is produced, its workers fit the topic's partitions. */
function checkStreamApp(a: ParsedStreamApp, i: number, workloads: Parsed['workloads'], errors: string[]): void {
  const bad = checkTopicName(a.topic);
  if (bad) errors.push(`apps[${i}].topic: ${bad}`);
  const producer = workloads.find((w) => w.topic === a.topic);
  if (!producer) errors.push(`apps[${i}].topic: no workload produces topic ${JSON.stringify(a.topic)}; add a workloads entry with topic: ${a.topic} (or correct the name)`);
  else if (a.maxWorkers > producer.partitions) errors.push(`apps[${i}].maxWorkers: ${a.maxWorkers} workers but topic ${a.topic} has ${producer.partitions} partitions (workloads entry ${producer.id}); a worker beyond them would hold none: lower maxWorkers or raise that workload's partitions`);
  if (a.workers > a.maxWorkers) errors.push(`apps[${i}].workers: ${a.workers} is more than maxWorkers ${a.maxWorkers}; lower workers or raise maxWorkers`);
}

function checkWorkloads(workloads: Parsed['workloads'], errors: string[], known: ReadonlySet<number>, knownList: string, source: string | undefined): void {
  const ids = new Set<string>();
  const partitionsOf = new Map<string, number>();
  workloads.forEach((w, i) => {
    w.nodes?.forEach((n, k) => {
      if (!known.has(n)) errors.push(`workloads[${i}].nodes[${k}]: node ${n} does not exist; known nodes: ${knownList}`);
    });
    const src = w.source;
    if (src.kind === 'module' && w.key !== undefined) errors.push(`workloads[${i}].key: a module source keys its own messages (the key emit returns); remove key`);
    // the files are read when the run starts (stream/workload/sources.ts); a wrong path is named here, before anything starts
    if (src.kind === 'module' && !existsSync(fromScenario(source, src.path))) {
      errors.push(`workloads[${i}].source.path: no workload module at ${fromScenario(source, src.path)}; fix the path (it is relative to the scenario file)`);
    }
    if (src.kind === 'csv' && !existsSync(fromScenario(source, src.file))) {
      errors.push(`workloads[${i}].source.file: no CSV file at ${fromScenario(source, src.file)}; fix the path (it is relative to the scenario file)`);
    }
    if (ids.has(w.id)) errors.push(`workloads[${i}].id: duplicate workload id ${JSON.stringify(w.id)}; give each its own`);
    ids.add(w.id);
    const bad = checkTopicName(w.topic);
    if (bad) errors.push(`workloads[${i}].topic: ${bad}`);
    const p = partitionsOf.get(w.topic);
    if (p !== undefined && p !== w.partitions) errors.push(`workloads[${i}].partitions: topic ${w.topic} is given ${p} partitions by another workload; use the same count`);
    partitionsOf.set(w.topic, w.partitions);
    w.rateSteps.forEach((st, k) => {
      if (k > 0 && st.at <= w.rateSteps[k - 1].at) errors.push(`workloads[${i}].rateSteps[${k}].at: ${st.at} s is not after the step before (${w.rateSteps[k - 1].at} s); list the steps in time order`);
    });
  });
}

/**
 * A data set file must be one: a JSON array of records, plain or gzip (its first bytes say which),
 * so that a wrong path (/etc/passwd) is named at validation, not uploaded as the data set.
 * Returns the absolute path.
 */
function checkDatasetFile(file: string, errors: string[]): string {
  const hint = 'give a JSON array of records (plain or .gz), relative to the scenario file';
  let head: Buffer;
  try {
    if (!statSync(file).isFile()) {
      errors.push(`dataset.file: ${file} is not a file; ${hint}`);
      return file;
    }
    const fd = openSync(file, 'r');
    try {
      head = Buffer.alloc(64);
      head = head.subarray(0, readSync(fd, head, 0, 64, 0));
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    errors.push(`dataset.file: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; ${hint}`);
    return file;
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (!gzip && !text.startsWith('[')) errors.push(`dataset.file: ${file} is not a JSON data set (it starts with ${JSON.stringify(text.slice(0, 16))}, not "[" or the gzip magic); ${hint}`);
  return file;
}

/** Ids for a message: all of a few, the first ones of many (a generated topology has thousands). */
function listIds(ids: readonly number[]): string {
  return ids.length <= 20 ? ids.join(', ') : `${ids.slice(0, 20).join(', ')}, ... (${ids.length} in all)`;
}

function scenarioError(errors: string[], source?: string): UserError {
  const where = source ? ` ${source}` : '';
  return new UserError(`invalid scenario${where}: ${errors.length} problem(s)\n${errors.map((e) => `  ${e}`).join('\n')}`, errors);
}

/** Parses YAML text; syntax errors name the line and column. */
export function parseScenarioYaml(text: string, source?: string): Scenario {
  return parseScenario(readScenarioYaml(text, source), source);
}

/** The raw object of a scenario's YAML text; a syntax error is an invalid-scenario error naming the line and column. */
export function readScenarioYaml(text: string, source?: string): unknown {
  try {
    return readYaml(text);
  } catch (e) {
    if (!(e instanceof YamlError)) throw e;
    throw scenarioError([`${e.line !== undefined ? `line ${e.line}, column ${e.column}` : 'YAML'}: ${e.message}`], source);
  }
}

export function loadScenario(file: string): Scenario {
  let text: string;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read scenario ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check the path`);
  }
  // a binary file would otherwise come back as a YAML error echoing its bytes
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`cannot read scenario ${file}: not UTF-8 text; give a YAML scenario file`);
  }
  if (text.includes('\0')) throw new UserError(`cannot read scenario ${file}: a binary file (it holds NUL bytes); give a YAML scenario file`);
  return parseScenarioYaml(text, file);
}

/**
 * Reads a data-path model file (sim/data-path.ts, written by fogsim calibrate) and checks it;
 * the one reader of such files, for the scenario's `sim.model` and fogsim simulate --model.
 * Errors start with `field` and say how to fix the file; `hint` adds where the path is from.
 */
export function loadDataPathModel(file: string, field: string, hint?: string): DataPathModel {
  const fix = `write one with \`fogsim calibrate --out ${file}\``;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${field}: cannot read the data-path model ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; ${hint ? `${hint}; ` : ''}${fix}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${field}: the data-path model ${file} is not JSON (${(e as Error).message}); ${fix}`);
  }
  const r = dataPathModelSchema.safeParse(raw, { reportInput: true });
  if (!r.success) {
    throw new UserError(`${field}: the data-path model ${file} is invalid: ${r.error.issues.map(describeIssue).join('; ')}; correct it or ${fix}`);
  }
  return r.data;
}

// One index per links array: a find per call was O(links), 499,500 links at 1,000 nodes (issue 16)
const linkIndex = new WeakMap<Scenario['links'], Map<number, number>>();

/** One number per unordered pair of ids (ids stay below 2^21, model/limits.ts): a Map key without building a string. */
export function pairKey(a: number, b: number): number {
  return a < b ? a * 2_097_152 + b : b * 2_097_152 + a;
}

/**
 * Symmetric latency lookup; 0 to itself. An explicit link wins; a pair without one has the
 * latency of the scenario's topology model (generated or imported, model/generators/).
 */
export function linkLatency(s: Pick<Scenario, 'links' | 'topology'>, a: number, b: number): number {
  if (a === b) return 0;
  // a generated topology has no explicit link: skip the index
  if (s.topology && s.links.length === 0) return modelLatency(s.topology.latency, s.links, a, b);
  let idx = linkIndex.get(s.links);
  if (!idx) {
    idx = new Map();
    // the first link of a pair wins, as the find did
    for (const l of s.links) {
      const k = pairKey(l.from, l.to);
      if (!idx.has(k)) idx.set(k, l.latencyMs);
    }
    linkIndex.set(s.links, idx);
  }
  const explicit = idx.get(pairKey(a, b));
  if (explicit !== undefined) return explicit;
  return s.topology ? modelLatency(s.topology.latency, s.links, a, b) : 0;
}

/**
 * Every link as a list, one per unordered pair: the explicit links, or for a topology every pair
 * of nodes with its model latency. O(nodes^2) for a topology: only for what needs the whole
 * matrix (the stores of an emulation, which refuses more than MAX_NODE_ID ids: assertEmulable).
 */
export function scenarioLinks(s: Pick<Scenario, 'links' | 'topology' | 'nodes'>): { from: number; to: number; latencyMs: number }[] {
  if (!s.topology) return s.links;
  const out: { from: number; to: number; latencyMs: number }[] = [];
  const ids = s.nodes.map((n) => n.id).sort((x, y) => x - y);
  for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) out.push({ from: ids[i]!, to: ids[j]!, latencyMs: linkLatency(s, ids[i]!, ids[j]!) });
  return out;
}

/** How big a scenario is: links counted (a topology's are implicit, one per pair), tiers of a tiered one. */
export function scenarioSizes(s: Pick<Scenario, 'links' | 'topology' | 'nodes' | 'apps'>): { nodes: number; links: number; explicitLinks: number; apps: number; tiers?: { name: string; count: number }[] } {
  const n = s.nodes.length;
  return {
    nodes: n,
    links: s.topology ? (n * (n - 1)) / 2 : s.links.length,
    explicitLinks: s.links.length,
    apps: s.apps.length,
    ...(s.topology?.tiers ? { tiers: s.topology.tiers.map((t) => ({ name: t.name, count: t.count })) } : {}),
  };
}

export function summarizeScenario(s: Scenario): string {
  const z = scenarioSizes(s);
  const links = s.topology ? `${z.links} links (${z.explicitLinks ? `${z.explicitLinks} from the file, the rest by shortest path` : 'implicit, one per pair'})` : `${z.links} links`;
  const tiers = z.tiers ? ` (tiers: ${z.tiers.map((t) => `${t.name} ${t.count}`).join(', ')})` : '';
  const topology = s.topology ? `, ${s.topology.generator === 'file' ? `imported from ${s.topology.file}` : `generated ${s.topology.generator}`}` : '';
  return `${s.name}: ${z.nodes} nodes${tiers}, ${links}, ${z.apps} apps${topology}, data set on node ${s.dataset.node}, T=${s.timing.feedbackWindowMs} ms, seed ${s.seed}`;
}

/**
 * An emulated session is run through the controller's API (its routes take ids up to MAX_NODE_ID)
 * and gives every pair a link row: a scenario with an id past MAX_NODE_ID runs in virtual time
 * only. Proxy ports are allocated (nodes/deps.ts ensureAppProxy), so they set no bound. Throws
 * before anything starts.
 */
export function assertEmulable(s: Pick<Scenario, 'nodes' | 'apps' | 'source' | 'name'>): void {
  const node = s.nodes.find((n) => n.id > MAX_NODE_ID);
  const app = s.apps.find((a) => a.id > MAX_NODE_ID);
  if (!node && !app) return;
  const what = node ? `node id ${node.id}` : `app id ${app!.id}`;
  const file = s.source ?? `<${s.name}>`;
  throw new UserError(
    `scenario ${file}: ${what} is above ${MAX_NODE_ID}, the largest id emulation can run (an emulated session is edited and watched through the controller's API, whose node and app ids stop there); run it in virtual time: fogsim simulate --scenario ${file}`,
  );
}
