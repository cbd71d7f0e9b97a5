import type { RunRow } from '../../model/types.js';
import type { StreamAppReport, StreamReport } from '../../stream/app/run.js';
import type { ExperimentReport } from './report.js';

/*
 * Loop metrics: how well the adaptation loop did in one run, from the run's report and its runs
 * (`<report>.runs.csv` or the store). Pure: no I/O, no clock. Each metric is defined in
 * docs/metrics.md ("Loop metrics"); `fogsim compare` and `fogsim sweep` write one row of them per
 * run (results.csv) and aggregate them per strategy or cell (summary.csv). A stream app's closed
 * windows are its runs and its S{n} actions are actions, as a batch app's runs and events are.
 */

/** What the metrics read of a report's stream apps (report.stream; older reports have none, or no startedAtMs). */
export interface LoopStream {
  startedAtMs?: StreamReport['startedAtMs'];
  apps: (Pick<StreamAppReport, 'id' | 'converged'> & {
    windows: (Pick<StreamAppReport['windows'][number], 'startS' | 'goalMet'> & Partial<Pick<StreamAppReport['windows'][number], 'endS' | 'workers'>>)[];
    actions: Pick<StreamAppReport['actions'][number], 'atS' | 'from' | 'to' | 'label' | 'eventId'>[];
  })[];
}

/** What the metrics read from a report (older reports lack the newer fields: see loopMetrics). */
export type LoopReport = Pick<ExperimentReport, 'converged' | 'convergedAtS' | 'durationS' | 'runs' | 'events' | 'story'> &
  Partial<Pick<ExperimentReport, 'startedAtMs' | 'feedbackWindowMs' | 'datasetBytes' | 'apps'>> & { stream?: LoopStream };

export type LoopRun = Pick<RunRow, 'appId' | 'startedAtMs' | 'goalMet' | 'error'> & Partial<Pick<RunRow, 'id'>>;

export interface LoopMetrics {
  /** 1 when the convergence rule held at the end (and every stream app converged), else 0 */
  converged: number;
  /** seconds from the start to convergence; null when not converged */
  convergedAtS: number | null;
  /** violation episodes (maximal runs of consecutive violated runs of one app) */
  violationEpisodes: number;
  /** episodes in which the app acted */
  repairedEpisodes: number;
  /** mean over repaired episodes of (first action of the app in the episode - start of its first violated run), s; null when none */
  timeToRepairS: number | null;
  /** the same for the earliest episode of the run alone, s; null when it was not repaired */
  firstRepairS: number | null;
  /** seconds in violation summed over the apps (each violated run counts until the app's next run) */
  violatedS: number;
  /** per app id, seconds in violation */
  violatedSByApp: Record<string, number>;
  /** actions taken (events: moves, copies, changes of reference, stream apps' S{n}; NA is not an action) */
  actions: number;
  moves: number;
  copies: number;
  changeRefs: number;
  scales: number;
  /** what the stream apps' scaling cost: workers x seconds summed over their windows; null without stream apps */
  workerS: number | null;
  /** actions that undo an earlier action within the feedback window */
  oscillations: number;
  /** actions after which the acting app's next run still violated its goal */
  ineffectiveActions: number;
  /** data set bytes sent between nodes: its size per move or copy; null when the size is unknown */
  bytesMoved: number | null;
  feedbackRows: number;
  /** closed events whose counter moved (a counter at its floor that stays is not a change) */
  counterChanges: number;
  runs: number;
  /** runs that failed (the job's error) */
  failedRuns: number;
}

/** The scalar loop metrics in column order (violatedSByApp is spread as violatedS_app<id>). */
export const LOOP_METRIC_NAMES = [
  'converged',
  'convergedAtS',
  'violationEpisodes',
  'repairedEpisodes',
  'timeToRepairS',
  'firstRepairS',
  'violatedS',
  'actions',
  'moves',
  'copies',
  'changeRefs',
  'scales',
  'workerS',
  'oscillations',
  'ineffectiveActions',
  'bytesMoved',
  'feedbackRows',
  'counterChanges',
  'runs',
  'failedRuns',
] as const satisfies readonly Exclude<keyof LoopMetrics, 'violatedSByApp'>[];

export type LoopMetricName = (typeof LOOP_METRIC_NAMES)[number];

/**
 * Where an action takes the data or the acting app's reference (nodes), or a stream app's
 * workers (counts), from its label and `origin`: the node the app read for CR{y}, the workers it
 * had for S{n} (null when unknown).
 */
export interface ActionEffect {
  type: 'move' | 'copy' | 'changeRef' | 'scale';
  from: number | null;
  to: number;
}

export function actionEffect(label: string, origin: number | null): ActionEffect | null {
  let m = /^M(\d+)_(\d+)$/.exec(label);
  if (m) return { type: 'move', from: Number(m[1]), to: Number(m[2]) };
  m = /^C(\d+)_(\d+)$/.exec(label);
  if (m) return { type: 'copy', from: Number(m[1]), to: Number(m[2]) };
  m = /^CR(\d+)$/.exec(label);
  if (m) return { type: 'changeRef', from: origin, to: Number(m[1]) };
  m = /^S(\d+)$/.exec(label);
  if (m) return { type: 'scale', from: origin, to: Number(m[1]) };
  return null;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000 + 0;

export function loopMetrics(report: LoopReport, batchRuns: readonly LoopRun[]): LoopMetrics {
  // without startedAtMs (older reports) the runs' own first start stands in for the start
  const t0 = report.startedAtMs ?? (batchRuns.length ? Math.min(...batchRuns.map((r) => r.startedAtMs)) : 0);
  const endMs = t0 + report.durationS * 1000;
  const windowMs = report.feedbackWindowMs ?? Infinity;
  const steps = new Map(report.story.steps.map((s) => [s.eventId, s]));

  // stream apps: each closed window a run from its start, each S{n} at its window's end (the next
  // window's start, on the same clock: the stream apps' own start)
  const streamApps = report.stream?.apps ?? [];
  const streamT0 = report.stream?.startedAtMs ?? t0;
  const runs: LoopRun[] = [...batchRuns, ...streamApps.flatMap((a) => a.windows.map((w) => ({ appId: a.id, startedAtMs: streamT0 + w.startS * 1000, goalMet: w.goalMet, error: null })))];
  const scaled = new Map(streamApps.flatMap((a) => a.actions.filter((x) => x.eventId !== null).map((x) => [x.eventId!, x] as const)));
  const inEvents = new Set(report.events.map((e) => e.id));
  const events = [
    ...report.events.map((e) => {
      const s = e.actionType === 'scale' ? scaled.get(e.id) : undefined;
      return { id: e.id, appId: e.appId, actionType: e.actionType, atMs: s ? streamT0 + s.atS * 1000 : t0 + e.createdAtS * 1000, effect: actionEffect(e.action, s ? s.from : (steps.get(e.id)?.fromNode ?? null)) };
    }),
    // an S{n} the store did not record (a stream app run without one) is an action all the same
    ...streamApps.flatMap((a) =>
      a.actions.filter((x) => x.eventId === null || !inEvents.has(x.eventId)).map((x, k) => ({ id: -(a.id * 1e6 + k + 1), appId: a.id, actionType: 'scale', atMs: streamT0 + x.atS * 1000, effect: actionEffect(x.label, x.from) })),
    ),
  ].sort((a, b) => a.atMs - b.atMs || a.id - b.id);

  const byApp = new Map<number, LoopRun[]>();
  for (const r of [...runs].sort((a, b) => a.startedAtMs - b.startedAtMs || (a.id ?? 0) - (b.id ?? 0))) {
    const list = byApp.get(r.appId) ?? [];
    list.push(r);
    byApp.set(r.appId, list);
  }

  // violation episodes and the time to their first repair
  const episodes: { appId: number; startMs: number; repairMs: number | null }[] = [];
  const violatedSByApp: Record<string, number> = {};
  for (const [appId, list] of [...byApp].sort((a, b) => a[0] - b[0])) {
    let violatedMs = 0;
    let k = 0;
    while (k < list.length) {
      if (list[k].goalMet) {
        k++;
        continue;
      }
      const startMs = list[k].startedAtMs;
      while (k < list.length && !list[k].goalMet) {
        violatedMs += (k + 1 < list.length ? list[k + 1].startedAtMs : Math.max(endMs, list[k].startedAtMs)) - list[k].startedAtMs;
        k++;
      }
      const endOfEpisode = k < list.length ? list[k].startedAtMs : Infinity;
      // at the episode's end too: an action taken as a window closes precedes the window opening then (as for ineffective below)
      const repair = events.find((e) => e.appId === appId && e.atMs >= startMs && e.atMs <= endOfEpisode);
      episodes.push({ appId, startMs, repairMs: repair ? repair.atMs - startMs : null });
    }
    violatedSByApp[String(appId)] = round3(violatedMs / 1000);
  }
  // apps of the report that never ran still have a column
  for (const a of [...(report.apps ?? []), ...streamApps]) violatedSByApp[String(a.id)] ??= 0;
  const repaired = episodes.filter((e) => e.repairMs !== null);
  const first = [...episodes].sort((a, b) => a.startMs - b.startMs || a.appId - b.appId)[0];

  // oscillations: an action that takes the data (moves, whoever acts) or the same app's reference
  // straight back to where an action within the window before it took it from; or the same
  // stream app's workers back to the count an S{n} within the window started from (S3 then S1)
  let oscillations = 0;
  const undone = new Set<number>();
  events.forEach((b, j) => {
    if (!b.effect || b.effect.from === null) return;
    for (let i = j - 1; i >= 0; i--) {
      const a = events[i];
      if (b.atMs - a.atMs > windowMs) break;
      if (undone.has(a.id) || !a.effect || a.effect.from === null) continue;
      const scale = b.effect.type === 'scale';
      const reverses = a.effect.from === b.effect.to && (scale || a.effect.to === b.effect.from);
      const sameSubject = (a.effect.type === 'move' && b.effect.type === 'move') || (a.appId === b.appId && (a.effect.type === 'scale') === scale);
      if (reverses && sameSubject) {
        oscillations++;
        undone.add(a.id);
        return;
      }
    }
  });

  // ineffective: the acting app's first run that started at or after the action still violated.
  // An S{n} is judged over its windows up to the app's next action (or the end): the backlog of the
  // violated streak drains over several windows, which the rule waits for before it acts again
  // (decision/scale.ts), so the first window after is violated even when the S{n} repaired it
  let ineffectiveActions = 0;
  // each app's next action, from the end back: one pass, not a search per action
  const nextOfApp = new Map<number, number>();
  const untilNext = events.map(() => Infinity);
  for (let j = events.length - 1; j >= 0; j--) {
    untilNext[j] = nextOfApp.get(events[j].appId) ?? Infinity;
    nextOfApp.set(events[j].appId, events[j].atMs);
  }
  events.forEach((e, j) => {
    const list = byApp.get(e.appId) ?? [];
    const k = list.findIndex((r) => r.startedAtMs >= e.atMs);
    if (k < 0) return;
    const ok = (r: LoopRun) => r.goalMet && !r.error;
    if (e.actionType !== 'scale') {
      if (!ok(list[k])) ineffectiveActions++;
      return;
    }
    let met = false;
    for (let i = k; i < list.length && list[i].startedAtMs < untilNext[j] && !met; i++) met = ok(list[i]);
    // judged on the windows up to the next action; none of them (the next action at once) judges nothing
    if (!met && list[k].startedAtMs < untilNext[j]) ineffectiveActions++;
  });

  const moves = events.filter((e) => e.actionType === 'move').length;
  const copies = events.filter((e) => e.actionType === 'copy').length;
  const changeRefs = events.filter((e) => e.actionType === 'changeRef').length;
  const scales = events.filter((e) => e.actionType === 'scale').length;
  const workerS = streamApps.length ? round3(streamApps.reduce((sum, a) => sum + a.windows.reduce((t, w) => t + (w.workers ?? 0) * ((w.endS ?? w.startS) - w.startS), 0), 0)) : null;
  const bytes = report.datasetBytes;
  // the run's verdict waited for the stream apps; each one's own (its last windows met, none acting) must hold too
  const converged = report.converged && streamApps.every((a) => a.converged);
  return {
    converged: converged ? 1 : 0,
    convergedAtS: converged ? report.convergedAtS : null,
    violationEpisodes: episodes.length,
    repairedEpisodes: repaired.length,
    timeToRepairS: repaired.length ? round3(repaired.reduce((s, e) => s + e.repairMs!, 0) / repaired.length / 1000) : null,
    firstRepairS: first && first.repairMs !== null ? round3(first.repairMs / 1000) : null,
    violatedS: round3(Object.values(violatedSByApp).reduce((s, v) => s + v, 0)),
    violatedSByApp,
    actions: events.length,
    moves,
    copies,
    changeRefs,
    scales,
    workerS,
    oscillations,
    ineffectiveActions,
    bytesMoved: bytes === undefined || bytes === null ? null : bytes * (moves + copies),
    feedbackRows: report.story.checks.feedbackRows,
    counterChanges: report.story.checks.countersChanged,
    runs: runs.length,
    failedRuns: runs.filter((r) => r.error).length,
  };
}

/** The metrics as one flat row: the scalars in LOOP_METRIC_NAMES order, then violatedS_app<id> by app id. */
export function flattenLoopMetrics(m: LoopMetrics): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const k of LOOP_METRIC_NAMES) out[k] = m[k];
  for (const id of Object.keys(m.violatedSByApp).sort((a, b) => Number(a) - Number(b))) out[`violatedS_app${id}`] = m.violatedSByApp[id];
  return out;
}
