/**
 * One stream app window's decision, pure: from what the window measured to its metrics, goal
 * check, violation count, scale rule (decision/scale.ts), the strategy's choice and the rows the
 * report keeps. The real app (stream/app/app.ts) measures on the bus; the virtual-time engine
 * (sim/engine.ts) takes the fluid model's numbers (sim/stream.ts). Both close a window through
 * here, so the loop they run is one.
 */
import type { DecisionParams, StreamAppSpec } from '../../model/scenario.js';
import type { StreamMetric, StreamMetricValues } from '../../model/metrics.js';
import { evaluateGoal, formatTerm, type GoalCheck } from '../../decision/goal.js';
import type { Action } from '../../decision/actions.js';
import { countViolations, decideScale, type ScaleDecision, type WindowRates } from '../../decision/scale.js';
import { applyStrategy } from '../../decision/strategies/apply.js';
import { streamStrategyInput } from '../../decision/strategies/stream.js';
import type { NamedStrategy } from '../../decision/strategies/types.js';
import type { Rng } from '../../util/rng.js';
import type { GroupResult } from './aggregate.js';
import type { StreamScaleAction, StreamWindow } from './app.js';

/** What one window measured (or the model predicts): counts over the window, latencies of its records. */
export interface WindowMeasurement {
  index: number;
  /** seconds from the app's start */
  startS: number;
  endS: number;
  /** the window's length, s (the real app measures it in ms: its startS and endS are rounded) */
  durS: number;
  workers: number;
  produced: number;
  processed: number;
  /** time the workers spent processing, summed over them, ms */
  busyMs: number;
  lag: number;
  /** of the window's records, ms; NaN when it processed none */
  latencyP95: number;
  latencyP50: number;
  /** link latency from the app's node to the bus's node (ms) and that node's availability (%) */
  path: { latencyMs: number; availability: number };
  groups: GroupResult[];
}

export interface WindowAssessment {
  metrics: StreamMetricValues;
  check: GoalCheck<StreamMetric>;
  /** violated windows in a row after this one */
  violations: number;
  rates: WindowRates;
  decision: ScaleDecision;
}

export interface ScaleChoice {
  label: string;
  action: Action;
  explored: boolean;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** The bus node's availability as a stream app sees it: 0 while it is down; a node unknown to the store counts as up (100). */
export function busAvailability(node: { availability: number } | undefined, down: boolean | undefined): number {
  return down ? 0 : (node?.availability ?? 100);
}

/**
 * The window's metrics, goal check and the scale rule's decision. `previous` are the app's
 * earlier windows (oldest first): the lag when the violated streak began is read from them.
 */
export function assessWindow(spec: Pick<StreamAppSpec, 'goal' | 'scale' | 'maxWorkers'>, m: WindowMeasurement, previousViolations: number, previous: readonly Pick<StreamWindow, 'lag'>[]): WindowAssessment {
  const durS = Math.max(1e-3, m.durS);
  // a window that processed nothing has no latency to measure: met when nothing waits, else violated
  const idle = m.processed === 0 && m.lag === 0;
  const metrics: StreamMetricValues = { latency: idle ? 0 : m.latencyP95, latencyP50: idle ? 0 : m.latencyP50, throughput: m.processed / durS, lag: m.lag, pathLatency: m.path.latencyMs, availability: m.path.availability };
  const check = evaluateGoal(spec.goal, metrics);
  const violations = countViolations(previousViolations, check.met);
  // the lag when the violated streak began: at the end of the window before its first
  const streakStart = previous.length - (violations - 1) - 1;
  const lagAtStreakStart = violations > 0 && streakStart >= 0 ? previous[streakStart]!.lag : undefined;
  const rates: WindowRates = { workers: m.workers, inputRate: m.produced / durS, throughput: m.processed / durS, processed: m.processed, busyMs: m.busyMs, lag: m.lag, lagAtStreakStart };
  const decision = decideScale({ ...spec.scale, maxWorkers: spec.maxWorkers }, rates, violations, true);
  return { metrics, check, violations, rates, decision };
}

/**
 * What is done: the rule's label before its trigger fires, else the strategy's choice among NA
 * and every S{n} with the rule's proposal in view (decision/strategies/stream.ts). Throws the
 * StrategyError of a strategy that threw or chose what is not a candidate.
 */
export function chooseScale(
  strategy: NamedStrategy,
  a: WindowAssessment,
  ctx: { spec: Pick<StreamAppSpec, 'id' | 'node' | 'scale' | 'maxWorkers'>; counters: Readonly<Record<string, number>>; params: DecisionParams; rng: Rng },
): ScaleChoice {
  if (!a.decision.triggered) return { label: a.decision.label, action: a.decision.action, explored: false };
  const input = streamStrategyInput({
    appId: ctx.spec.id,
    appNode: ctx.spec.node,
    check: a.check,
    metrics: a.metrics,
    counters: ctx.counters,
    params: ctx.params,
    rng: ctx.rng,
    rule: ctx.spec.scale.rule,
    proposal: a.decision,
    rates: a.rates,
    maxWorkers: ctx.spec.maxWorkers,
  });
  const { chosen, explored } = applyStrategy(strategy, input);
  return { label: chosen.label, action: chosen.action, explored };
}

/** The window as the report shows it. */
export function windowRow(m: WindowMeasurement, a: WindowAssessment, chosen: ScaleChoice, strategyName: string): StreamWindow {
  const durS = Math.max(1e-3, m.durS);
  const { decision, rates, check } = a;
  return {
    index: m.index,
    startS: m.startS,
    endS: m.endS,
    workers: m.workers,
    produced: m.produced,
    processed: m.processed,
    inputRate: r2(rates.inputRate),
    throughput: r2(rates.throughput),
    throughputPerWorker: r2(rates.throughput / Math.max(1, m.workers)),
    busyFraction: r2(m.busyMs / (durS * 1000 * Math.max(1, m.workers))),
    latencyP50: Number.isFinite(m.latencyP50) ? Math.round(m.latencyP50) : null,
    latencyP95: Number.isFinite(m.latencyP95) ? Math.round(m.latencyP95) : null,
    lag: m.lag,
    pathLatencyMs: m.path.latencyMs,
    availability: m.path.availability,
    goalMet: check.met,
    violated: check.violated.map((t) => formatTerm(t)),
    violationsInARow: a.violations,
    action: chosen.label,
    proposed: decision.label,
    reason: chosen.label === decision.label ? decision.reason : `${strategyName} chose ${chosen.label}; the rule proposed ${decision.label} (${decision.reason})`,
    groups: m.groups,
  };
}

/** The S{n} as the report shows it: from the window's workers `to` the chosen count. */
export function scaleActionRow(w: StreamWindow, a: WindowAssessment, chosen: ScaleChoice, to: number, ctx: { rule: string; strategy: string; eventId: number | null }): StreamScaleAction {
  return {
    atS: w.endS,
    window: w.index,
    from: w.workers,
    to,
    label: chosen.label,
    strategy: ctx.strategy,
    explored: chosen.explored,
    rule: ctx.rule,
    proposed: a.decision.label,
    arithmetic: a.decision.arithmetic,
    inputs: a.decision.inputs,
    eventId: ctx.eventId,
  };
}

/** The last rate step of the workloads, s from their start: no app converges before it. */
export function lastRateStepS(workloads: readonly { rateSteps: readonly { at: number }[] }[]): number {
  return Math.max(0, ...workloads.flatMap((w) => w.rateSteps.map((st) => st.at)));
}

/** Whether a stream app converged: its last `windowRuns` windows met the goal with no action among them, all after the last rate step. */
export function streamAppConverged(windows: readonly Pick<StreamWindow, 'goalMet' | 'action' | 'startS'>[], windowRuns: number, lastStepS: number): boolean {
  const recent = windows.slice(-windowRuns);
  return recent.length === windowRuns && recent.every((w) => w.goalMet && w.action === 'NA' && w.startS >= lastStepS);
}
