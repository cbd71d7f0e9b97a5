import { applyCounter } from '../../decision/feedback.js';
import type { DecisionRow, EventRow, FeedbackRow, RunRow } from '../../model/types.js';

/*
 * The story of a run, from the store's rows: each event in order with who acted and why (the
 * violated terms and the best five candidates of its decision), who left feedback, the global
 * feedback and the counter it moved; the time each app spent violated; and whether every
 * mechanism of the algorithm acted (two apps acting, feedback, a closed event moving a counter,
 * a copy or change of reference, convergence). Pure, so the report and its tests share it.
 */

export interface StoryStep {
  eventId: number;
  atS: number;
  appId: number;
  action: string;
  actionType: string;
  explored: boolean;
  /** node of the copy the app read when it decided */
  fromNode: number | null;
  violated: string[];
  candidates: { label: string; score: number; counter: number; globalScore: number }[];
  /** the first FEEDBACK_LISTED feedback rows of the event */
  feedback: { appId: number; value: number; atS: number }[];
  /** every feedback row it got */
  feedbackCount: number;
  /** null while the event is open */
  closedAtS: number | null;
  globalFeedback: number | null;
  /** the counter of the action's label when this event closed, before and after */
  counter: { label: string; from: number; to: number } | null;
}

export interface StoryChecks {
  /** apps that took at least one action */
  appsActing: number[];
  feedbackRows: number;
  closedEvents: number;
  countersChanged: number;
  copiesOrChangeRefs: number;
  converged: boolean;
  openEventsAtEnd: number;
  /** every mechanism at work: two apps acting, feedback, a counter moved, a copy or CR, converged with no event open */
  whole: boolean;
}

export interface Story {
  steps: StoryStep[];
  /** violated checks that ended without an action (NA chosen, repairs exhausted, stale, failed) */
  checksWithoutAction: number;
  /** seconds each app spent violated (from a violated run to its next run) */
  violatedS: Record<string, number>;
  checks: StoryChecks;
}

export interface StoryInput {
  startedAtMs: number;
  endedAtMs: number;
  converged: boolean;
  events: readonly EventRow[];
  feedback: readonly FeedbackRow[];
  /** feedback rows per event id (default: counted from `feedback`) */
  feedbackCounts?: ReadonlyMap<number, number>;
  decisions: readonly DecisionRow[];
  runs: readonly RunRow[];
  feedbackThreshold: number;
}

/**
 * Feedback rows a report lists per event: every other app leaves one on an open event of its copy,
 * a thousand per event at fog scale (sim/engine.ts); the count of all is kept beside them.
 */
export const FEEDBACK_LISTED = 20;

export function countFeedback(feedback: readonly FeedbackRow[]): Map<number, number> {
  const n = new Map<number, number>();
  for (const f of feedback) n.set(f.eventId, (n.get(f.eventId) ?? 0) + 1);
  return n;
}

export function buildStory(i: StoryInput): Story {
  const s = (ms: number) => Math.round(ms - i.startedAtMs) / 1000;
  const events = [...i.events].sort((a, b) => a.id - b.id);
  // counters replayed in closing order: the change each closed event made
  const moved = new Map<number, { label: string; from: number; to: number }>();
  const counters: Record<string, number> = {};
  for (const e of [...events].filter((e) => !e.active && e.globalFeedback !== null).sort((a, b) => a.closesAtMs - b.closesAtMs || a.id - b.id)) {
    const from = counters[e.actionLabel] ?? 0;
    const to = applyCounter(from, e.globalFeedback! >= i.feedbackThreshold ? 1 : -1);
    counters[e.actionLabel] = to;
    moved.set(e.id, { label: e.actionLabel, from, to });
  }
  // indexes, so a run of thousands of events (sim/engine.ts) is not quadratic
  const choices = new Map<string, DecisionRow[]>();
  for (const x of i.decisions) {
    const k = `${x.appId}:${x.trace.chosen}`;
    (choices.get(k) ?? choices.set(k, []).get(k)!).push(x);
  }
  const feedbackCounts = i.feedbackCounts ?? countFeedback(i.feedback);
  const feedbackOf = new Map<number, FeedbackRow[]>();
  for (const f of i.feedback) (feedbackOf.get(f.eventId) ?? feedbackOf.set(f.eventId, []).get(f.eventId)!).push(f);
  const steps = events.map((e): StoryStep => {
    // the decision that chose it: the latest trace of that app choosing this label, at or before the event
    const mine = choices.get(`${e.appId}:${e.actionLabel}`) ?? [];
    let d: DecisionRow | undefined;
    for (let k = mine.length - 1; k >= 0 && !d; k--) if (mine[k].createdAtMs <= e.createdAtMs) d = mine[k];
    return {
      eventId: e.id,
      atS: s(e.createdAtMs),
      appId: e.appId,
      action: e.actionLabel,
      actionType: e.actionType,
      explored: e.explored,
      fromNode: d?.trace.dataNode ?? null,
      violated: d?.trace.violated ?? [],
      candidates: d?.trace.candidates ?? [],
      feedback: (feedbackOf.get(e.id) ?? []).slice(0, FEEDBACK_LISTED).map((f) => ({ appId: f.appId, value: round(f.value), atS: s(f.createdAtMs) })),
      feedbackCount: feedbackCounts.get(e.id) ?? 0,
      closedAtS: e.active ? null : s(e.closesAtMs),
      globalFeedback: e.globalFeedback === null ? null : round(e.globalFeedback),
      counter: moved.get(e.id) ?? null,
    };
  });
  const violatedS: Record<string, number> = {};
  const byApp = new Map<number, RunRow[]>();
  for (const r of [...i.runs].sort((a, b) => a.startedAtMs - b.startedAtMs || a.id - b.id)) (byApp.get(r.appId) ?? byApp.set(r.appId, []).get(r.appId)!).push(r);
  for (const [appId, runs] of [...byApp].sort((a, b) => a[0] - b[0])) {
    let ms = 0;
    runs.forEach((r, k) => {
      if (!r.goalMet) ms += (k + 1 < runs.length ? runs[k + 1].startedAtMs : i.endedAtMs) - r.startedAtMs;
    });
    violatedS[String(appId)] = Math.round(ms) / 1000;
  }
  const eventIds = new Set(events.map((e) => e.id));
  const appsActing = [...new Set(events.map((e) => e.appId))].sort((a, b) => a - b);
  const openEventsAtEnd = events.filter((e) => e.active).length;
  const checks: StoryChecks = {
    appsActing,
    feedbackRows: [...eventIds].reduce((n, id) => n + (feedbackCounts.get(id) ?? 0), 0),
    closedEvents: events.filter((e) => !e.active).length,
    countersChanged: [...moved.values()].filter((m) => m.from !== m.to).length,
    copiesOrChangeRefs: events.filter((e) => e.actionType === 'copy' || e.actionType === 'changeRef').length,
    converged: i.converged,
    openEventsAtEnd,
    whole: false,
  };
  checks.whole = checks.appsActing.length >= 2 && checks.feedbackRows > 0 && checks.countersChanged > 0 && checks.copiesOrChangeRefs > 0 && checks.converged && openEventsAtEnd === 0;
  const acted = new Set(events.map((e) => `${e.appId}:${e.actionLabel}`));
  const checksWithoutAction = i.decisions.filter((d) => d.trace.chosen === 'NA' || !acted.has(`${d.appId}:${d.trace.chosen}`)).length;
  return { steps, checksWithoutAction, violatedS, checks };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4 + 0;

const SHORT: Record<string, string> = { responseTime: 'RT', executionTime: 'ET', throughput: 'X', latency: 'NL', availability: 'A', consistency: 'DC' };

/** `responseTime <= 800` as `RT<=800`, for the narrow table. */
function shortTerm(t: string): string {
  const m = /^(\w+) (<=|>=) (.+)$/.exec(t);
  return m ? `${SHORT[m[1]] ?? m[1]}${m[2]}${m[3]}` : t;
}

/** The story as a short text table, as `fogsim run` prints it. */
export function formatStory(st: Story): string {
  const lines: string[] = [];
  const pad = (x: string, n: number) => (x.length >= n ? x : x + ' '.repeat(n - x.length));
  lines.push(`${pad('t (s)', 7)} ${pad('app', 4)} ${pad('action', 8)} ${pad('violated', 18)} ${pad('best candidates (global score)', 36)} ${pad('feedback (app=value)', 22)} closed: global -> counter`);
  for (const x of st.steps) {
    const why = x.violated.map(shortTerm).join(' & ') || '-';
    const cands = x.candidates.slice(0, 3).map((c) => `${c.label} ${c.globalScore.toFixed(2)}`).join(', ');
    const fb = x.feedback.map((f) => `${f.appId}=${f.value.toFixed(2)}`).join(' ') || '-';
    const closed = x.closedAtS === null ? 'open' : `${x.globalFeedback?.toFixed(2)} -> ${x.counter ? `${x.counter.label} ${x.counter.from}->${x.counter.to}` : '-'}`;
    lines.push(`${pad(x.atS.toFixed(1), 7)} ${pad(String(x.appId), 4)} ${pad(x.action + (x.explored ? '*' : ''), 8)} ${pad(why, 18)} ${pad(cands, 36)} ${pad(fb, 22)} ${closed}`);
  }
  const c = st.checks;
  lines.push(
    `apps acting: ${c.appsActing.join(', ') || 'none'}; feedback rows: ${c.feedbackRows}; closed events: ${c.closedEvents}; counters moved: ${c.countersChanged}; copies/CR: ${c.copiesOrChangeRefs}; open at end: ${c.openEventsAtEnd}; converged: ${c.converged ? 'yes' : 'no'}${c.whole ? ' (every mechanism acted)' : ''}`,
  );
  lines.push(`time violated (s): ${Object.entries(st.violatedS).map(([a, v]) => `app ${a} ${v.toFixed(1)}`).join(', ')}  (* = explored)`);
  return lines.join('\n');
}

/**
 * One line per stream app of a report, for the CLI after the story (whose table and time violated
 * are the batch apps'): its windows, the violated ones and their seconds, its actions, its verdict.
 */
export function formatStreamLines(stream: { apps: readonly { id: number; windowS: number; windows: readonly { goalMet: boolean; startS: number; endS: number }[]; actions: readonly { label: string; atS: number }[]; converged: boolean }[] } | undefined): string[] {
  return (stream?.apps ?? []).map((a) => {
    const violated = a.windows.filter((w) => !w.goalMet);
    const seconds = violated.reduce((t, w) => t + (w.endS - w.startS), 0);
    const acts = a.actions.map((x) => `${x.label} at ${x.atS} s`).join(', ') || 'no action';
    return `stream app ${a.id}: ${a.windows.length} windows of ${a.windowS} s, ${violated.length} violated (${seconds.toFixed(1)} s); ${acts}; ${a.converged ? 'converged' : 'not converged'}`;
  });
}
