/**
 * The scaling rules of stream apps (DESIGN.md section 14, issue 19 item 4): pure functions over
 * one window's measurements, no I/O, no clock. The app's loop (stream/app/) counts violations
 * with countViolations and asks decideScale once per window; the decision carries its arithmetic
 * so the report can show why n is what it is.
 *
 * - `autoscaler` (seed 004, the default): act only after `violationsInARow` consecutive violated
 *   windows; a continuous operator gets n = ceil(input rate / throughput per worker), the
 *   throughput per worker as observed (consumed/s / workers: a saturated worker shows its
 *   capacity); a windowed one, when `windowed: add2` is chosen, gets n = current + 2.
 * - `ds2`: the same trigger, n = ceil(input rate / true processing rate per worker), the true
 *   rate being processed / busy time (useful time only, not the time spent waiting for records),
 *   so an underloaded worker is not mistaken for a slow one.
 *
 * n is clamped to [1, maxWorkers]. A rule giving the current n is NA: nothing to change; so is
 * scaling out while the backlog shrank over the violated windows (the workers catch up).
 */
import { NO_ACTION, formatAction, scaleAction, type Action } from './actions.js';

export const SCALE_RULES = ['autoscaler', 'ds2'] as const;
export type ScaleRule = (typeof SCALE_RULES)[number];
/** how a windowed operator is scaled by the autoscaler rule: add2 (the seed's "windows + 2") or rate (as a continuous one) */
export const WINDOWED_SCALING = ['rate', 'add2'] as const;
export type WindowedScaling = (typeof WINDOWED_SCALING)[number];

export interface ScaleParams {
  rule: ScaleRule;
  /** consecutive violated windows before the rule acts (seed 004: 3) */
  violationsInARow: number;
  /** the most workers the app may have (at most the topic's partitions: a worker beyond them would hold none) */
  maxWorkers: number;
  windowed: WindowedScaling;
}

/** What one window measured, as the rules need it. Rates are per second of the window. */
export interface WindowRates {
  /** workers during the window */
  workers: number;
  /** messages produced to the app's topic per second */
  inputRate: number;
  /** messages consumed (processed) per second, all workers together */
  throughput: number;
  /** messages processed in the window, all workers */
  processed: number;
  /** time the workers spent processing (sum over workers), ms: DS2's useful time */
  busyMs: number;
  /** records waiting at the window's end, and at the end of the window before the violated streak began */
  lag?: number;
  lagAtStreakStart?: number;
}

export interface ScaleDecision {
  action: Action;
  label: string;
  /** the rule's n before it was compared with the current count (clamped) */
  workers: number;
  /** consecutive violated windows counted, and how many the rule needs */
  violations: number;
  needed: number;
  /** whether the rule's trigger fired this window */
  triggered: boolean;
  /** the rule's inputs and formula, e.g. `ceil(812.4 / 301.2) = 3` */
  arithmetic: string;
  inputs: Record<string, number>;
  /** set when n was cut to [1, maxWorkers] */
  clampedFrom?: number;
  reason: string;
}

/** Consecutive violated windows: +1 on a violation, back to 0 when the goal is met. */
export function countViolations(previous: number, goalMet: boolean): number {
  return goalMet ? 0 : previous + 1;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** The n the rule computes from one window, with its arithmetic (no trigger, no clamp). */
export function ruleWorkers(p: Pick<ScaleParams, 'rule' | 'windowed'>, w: WindowRates, windowedApp: boolean): { n: number; arithmetic: string; inputs: Record<string, number> } {
  if (p.rule === 'autoscaler' && windowedApp && p.windowed === 'add2') {
    return { n: w.workers + 2, arithmetic: `windows + 2 = ${w.workers} + 2 = ${w.workers + 2}`, inputs: { workers: w.workers } };
  }
  if (p.rule === 'ds2') {
    const busyS = w.busyMs / 1000;
    // busy time is summed over the workers, so processed / busy is already the rate of one worker
    const trueRate = busyS > 0 ? w.processed / busyS : 0;
    // without any busy time there is no rate to divide by: keep the current count
    if (!(trueRate > 0)) return { n: w.workers, arithmetic: `no busy time measured: keep ${w.workers}`, inputs: { inputRate: r2(w.inputRate), processed: w.processed, busyMs: Math.round(w.busyMs), workers: w.workers } };
    const n = Math.ceil(w.inputRate / trueRate);
    return {
      n,
      arithmetic: `true rate per worker = processed / busy s (all workers) = ${w.processed} / ${r2(busyS)} = ${r2(trueRate)}; n = ceil(input rate / true rate) = ceil(${r2(w.inputRate)} / ${r2(trueRate)}) = ${n}`,
      inputs: { inputRate: r2(w.inputRate), processed: w.processed, busyMs: Math.round(w.busyMs), workers: w.workers, trueRatePerWorker: r2(trueRate) },
    };
  }
  const perWorker = w.throughput / Math.max(1, w.workers);
  if (!(perWorker > 0)) return { n: w.workers, arithmetic: `no throughput measured: keep ${w.workers}`, inputs: { inputRate: r2(w.inputRate), throughput: r2(w.throughput), workers: w.workers } };
  const n = Math.ceil(w.inputRate / perWorker);
  return {
    n,
    arithmetic: `throughput per worker = ${r2(w.throughput)} / ${w.workers} = ${r2(perWorker)}; n = ceil(input rate / throughput per worker) = ceil(${r2(w.inputRate)} / ${r2(perWorker)}) = ${n}`,
    inputs: { inputRate: r2(w.inputRate), throughput: r2(w.throughput), workers: w.workers, throughputPerWorker: r2(perWorker) },
  };
}

/**
 * One window's decision. `violations` is the count after this window (countViolations). Acts
 * when it reached `violationsInARow`; the caller resets its count after an action, so the next
 * one needs as many violated windows again (the new workers get their chance first).
 */
export function decideScale(p: ScaleParams, w: WindowRates, violations: number, windowedApp: boolean): ScaleDecision {
  const needed = p.violationsInARow;
  if (violations < needed) {
    return { action: NO_ACTION, label: 'NA', workers: w.workers, violations, needed, triggered: false, arithmetic: '', inputs: {}, reason: violations === 0 ? 'goal met' : `violated ${violations} of ${needed} windows in a row` };
  }
  const { n: raw, arithmetic, inputs } = ruleWorkers(p, w, windowedApp);
  const n = Math.min(p.maxWorkers, Math.max(1, raw));
  const clamped = n !== raw ? { clampedFrom: raw } : {};
  const shown = n !== raw ? `${arithmetic}, clamped to [1, ${p.maxWorkers}] = ${n}` : arithmetic;
  if (n === w.workers) {
    return { action: NO_ACTION, label: 'NA', workers: n, violations, needed, triggered: true, arithmetic: shown, inputs, ...clamped, reason: `the rule gives the current ${n} workers` };
  }
  // the backlog shrank over the violated windows: the workers catch up and the latency is records
  // still queued, not missing capacity. One window's rates dip while a backlog drains (the rule
  // then asks for more); the streak's lag does not.
  if (n > w.workers && w.lag !== undefined && w.lagAtStreakStart !== undefined && w.lag < w.lagAtStreakStart) {
    const why = `catching up: the backlog fell from ${w.lagAtStreakStart} to ${w.lag} records over the ${violations} violated windows`;
    return { action: NO_ACTION, label: 'NA', workers: w.workers, violations, needed, triggered: true, arithmetic: `${shown}; ${why}`, inputs: { ...inputs, lag: w.lag, lagAtStreakStart: w.lagAtStreakStart }, ...clamped, reason: why };
  }
  const action = scaleAction(n);
  return { action, label: formatAction(action), workers: n, violations, needed, triggered: true, arithmetic: shown, inputs, ...clamped, reason: `violated ${violations} windows in a row: ${p.rule}` };
}
