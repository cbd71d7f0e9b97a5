import type { Store } from '../../db/store.js';
import type { StreamReport } from '../../stream/app/run.js';
import type { Scenario } from '../../model/scenario.js';
import type { AppRow, DatasetCopy, DecisionRow, EventRow, FeedbackRow, Goal, RunRow } from '../../model/types.js';
import type { TimelineRow } from '../../model/steps.js';
import { buildStory, countFeedback, FEEDBACK_LISTED, type Story } from './story.js';
import { DEFAULT_STRATEGY, strategySpecFor } from '../../decision/strategies/spec.js';
import { describeStep, type Step, type StepKind, type StepSource } from '../../model/steps.js';

export interface ExperimentReport {
  scenario: string;
  seed: number;
  /** epoch ms of the start: every `...S` time of the report counts from it, the runs' startedAtMs are epoch ms */
  startedAtMs: number;
  /** the feedback window T of the run, ms (oscillations are counted within it) */
  feedbackWindowMs: number;
  /** size of the data set's object, bytes (a move or a copy sends it between nodes once); null when unknown */
  datasetBytes: number | null;
  /** the strategy of every app (fogsim run --strategy, else the scenario's); apps[].strategy says each app's */
  strategy: string;
  /** what ran it: emulation on real parts (fogsim run) or the virtual-time engine (sim/engine.ts); absent in older reports (emu) */
  engine?: Engine;
  converged: boolean;
  /** seconds from the start to the first moment the convergence window held; null if never */
  convergedAtS: number | null;
  durationS: number;
  runs: number;
  apps: { id: number; node: number; goal: Goal; strategy: string; goalMet: boolean; runs: number; violations: number; actions: string[] }[];
  events: {
    id: number;
    appId: number;
    action: string;
    actionType: string;
    explored: boolean;
    createdAtS: number;
    /** the first FEEDBACK_LISTED feedback rows of the event */
    feedback: { appId: number; value: number }[];
    /** every feedback row the event got (a thousand apps leave thousands) */
    feedbackCount: number;
    globalFeedback: number | null;
  }[];
  placements: { id: number; familyId: number; node: number; bucket: string; objectKey: string; version: number; referencedBy: number[] }[];
  counters: Record<string, number>;
  /** each event in order with its reasons, feedback and counter change; time in violation; which mechanisms acted */
  story: Story;
  /** every timeline step applied during the run, in order: the scenario's (source timeline) and those applied by hand (admin) */
  /** the stream apps (fogsim run, in the controller's process): windows with their metrics, the workloads' rate steps, the S{n} actions with their arithmetic */
  stream?: StreamReport & { errors: string[] };
  timeline: { atS: number; kind: StepKind; args: Record<string, unknown>; source: StepSource; label: string; error: string | null }[];
}

/** All runs of the store, oldest first (the store pages them). */
export async function allRuns(store: Store): Promise<RunRow[]> {
  const out: RunRow[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await store.listRuns({ limit: 1000, offset });
    out.push(...page);
    if (page.length < 1000) break;
  }
  return out.sort((a, b) => a.id - b.id);
}

/** Everything a report is made of: what the store holds after a run, or what the virtual-time engine kept (sim/engine.ts). */
export interface ReportRecords {
  runs: readonly RunRow[];
  events: readonly EventRow[];
  feedback: readonly FeedbackRow[];
  /** feedback rows per event id, when `feedback` holds only the first FEEDBACK_LISTED of each (sim/engine.ts); else counted from `feedback` */
  feedbackCounts?: ReadonlyMap<number, number>;
  copies: readonly DatasetCopy[];
  apps: readonly (AppRow & { datasetId: number | null })[];
  counters: Record<string, number>;
  decisions: readonly DecisionRow[];
  steps: readonly TimelineRow[];
}

/** The two engines a run can have: emulation on real parts, the virtual-time engine. */
export const ENGINES = ['emu', 'sim'] as const;
export type Engine = (typeof ENGINES)[number];

export interface ReportTimes {
  /** default emu */
  engine?: Engine;
  startedAtMs: number;
  endedAtMs: number;
  convergedAtMs: number | null;
  datasetBytes?: number | null;
  strategy?: string;
}

export async function buildReport(store: Store, scenario: Scenario, t: ReportTimes): Promise<ExperimentReport> {
  const [runs, events, feedback, copies, apps, counters, decisions, steps] = await Promise.all([
    allRuns(store),
    store.listEvents({ limit: 100_000 }),
    store.listFeedback(),
    store.listCopies(),
    store.listApps(),
    store.getCounters(),
    store.listDecisions({ limit: 100_000 }),
    store.listTimeline(),
  ]);
  return reportFromRecords({ runs, events, feedback, copies, apps, counters, decisions, steps }, scenario, t);
}

/** The report of one run from its records, whichever engine made them. */
export function reportFromRecords(r: ReportRecords, scenario: Scenario, t: ReportTimes): ExperimentReport {
  const { runs, events, feedback, copies, apps, counters, decisions, steps } = r;
  const feedbackCounts = r.feedbackCounts ?? countFeedback(feedback);
  const s = (ms: number) => Math.round((ms - t.startedAtMs)) / 1000;
  const inExperiment = runs.filter((r) => r.startedAtMs >= t.startedAtMs);
  const runsByApp = groupBy(inExperiment, (r) => r.appId);
  const feedbackByEvent = groupBy(feedback, (f) => f.eventId);
  const referencedBy = groupBy(apps, (a) => a.datasetId ?? -1);
  return {
    scenario: scenario.name,
    seed: scenario.seed,
    startedAtMs: t.startedAtMs,
    feedbackWindowMs: scenario.timing.feedbackWindowMs,
    datasetBytes: t.datasetBytes ?? null,
    strategy: t.strategy ?? scenario.strategy ?? DEFAULT_STRATEGY,
    engine: t.engine ?? 'emu',
    converged: t.convergedAtMs !== null,
    convergedAtS: t.convergedAtMs === null ? null : s(t.convergedAtMs),
    durationS: s(t.endedAtMs),
    runs: inExperiment.length,
    apps: scenario.apps.map((a) => {
      const mine = runsByApp.get(a.id) ?? [];
      return {
        id: a.id,
        node: a.node,
        goal: a.goal,
        strategy: strategySpecFor(scenario, a.id, t.strategy).spec,
        goalMet: mine.length > 0 && mine[mine.length - 1].goalMet,
        runs: mine.length,
        violations: mine.filter((r) => !r.goalMet).length,
        actions: mine.map((r) => r.actionLabel).filter((l): l is string => !!l && l !== 'NA'),
      };
    }),
    events: events
      .filter((e) => e.createdAtMs >= t.startedAtMs)
      .sort((a, b) => a.id - b.id)
      .map((e) => ({
        id: e.id,
        appId: e.appId,
        action: e.actionLabel,
        actionType: e.actionType,
        explored: e.explored,
        createdAtS: s(e.createdAtMs),
        feedback: (feedbackByEvent.get(e.id) ?? []).slice(0, FEEDBACK_LISTED).map((f) => ({ appId: f.appId, value: f.value })),
        feedbackCount: feedbackCounts.get(e.id) ?? 0,
        globalFeedback: e.globalFeedback,
      })),
    placements: copies.map((c) => ({
      id: c.id,
      familyId: c.familyId,
      node: c.nodeId,
      bucket: c.bucket,
      objectKey: c.objectKey,
      version: c.version,
      referencedBy: (referencedBy.get(c.id) ?? []).map((a) => a.id),
    })),
    counters,
    timeline: steps
      .filter((x) => x.atMs >= t.startedAtMs)
      .map((x) => ({ atS: s(x.atMs), kind: x.kind, args: x.args, source: x.source, label: describeStep({ kind: x.kind, ...x.args } as Step), error: x.error })),
    story: buildStory({
      startedAtMs: t.startedAtMs,
      endedAtMs: t.endedAtMs,
      converged: t.convergedAtMs !== null,
      events: events.filter((e) => e.createdAtMs >= t.startedAtMs),
      feedback,
      feedbackCounts,
      decisions: decisions.filter((d) => d.createdAtMs >= t.startedAtMs),
      runs: inExperiment,
      feedbackThreshold: scenario.decision.feedbackThreshold,
    }),
  };
}

function groupBy<T, K>(xs: readonly T[], key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

const CSV_COLUMNS = ['id', 'appId', 'startedAtMs', 'dataNode', 'datasetId', 'rtMs', 'etMs', 'throughput', 'latencyMs', 'availability', 'consistency', 'goalMet', 'actionLabel', 'error'] as const;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function runsToCsv(runs: readonly RunRow[]): string {
  return [...runsCsvChunks(runs)].join('');
}

/** The CSV of runsToCsv in pieces of `rows` rows: a million runs (sim/engine.ts) are written without one 175 MB string. */
export function* runsCsvChunks(runs: readonly RunRow[], rows = 10_000): Generator<string> {
  yield CSV_COLUMNS.join(',') + '\n';
  for (let i = 0; i < runs.length; i += rows) {
    let chunk = '';
    for (const r of runs.slice(i, i + rows)) chunk += CSV_COLUMNS.map((c) => csvCell(r[c])).join(',') + '\n';
    yield chunk;
  }
}

/** Splits CSV text as csvCell writes it (quoted cells may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else if (ch !== '\r') cell += ch;
  }
  if (cell !== '' || row.length) row.push(cell), rows.push(row);
  return rows;
}

/** The runs back from `<report>.runs.csv` (runsToCsv's columns; unknown columns are ignored). */
export function parseRunsCsv(text: string): RunRow[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  const at = (name: string) => header.indexOf(name);
  const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));
  return rows
    .filter((r) => r.length > 1 || r[0] !== '')
    .map((r) => {
      const get = (c: string) => (at(c) < 0 ? undefined : r[at(c)]);
      const str = (c: string) => (get(c) === undefined || get(c) === '' ? null : get(c)!);
      return {
        id: num(get('id')) ?? 0,
        appId: num(get('appId')) ?? 0,
        startedAtMs: num(get('startedAtMs')) ?? 0,
        dataNode: num(get('dataNode')),
        datasetId: num(get('datasetId')),
        rtMs: num(get('rtMs')) ?? 0,
        etMs: num(get('etMs')) ?? 0,
        throughput: num(get('throughput')) ?? 0,
        latencyMs: num(get('latencyMs')) ?? 0,
        availability: num(get('availability')) ?? 0,
        consistency: num(get('consistency')) ?? 0,
        goalMet: get('goalMet') === 'true',
        actionLabel: str('actionLabel'),
        error: str('error'),
      };
    });
}
