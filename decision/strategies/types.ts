/*
 * The strategy interface: one pure function from what the app sees when its goal is violated to
 * the action it takes. Plain data in, a candidate's label out; no I/O, no clock, randomness only
 * from `rng`. docs/strategies.md describes every field and the built-ins.
 */
import { ValidationError } from '../../model/errors.js';
import type { MetricValues, StreamMetric, StreamMetricValues } from '../../model/metrics.js';
import type { DecisionParams } from '../../model/scenario.js';
import type { Action } from '../actions.js';
import type { GoalCheck } from '../goal.js';
import type { ScaleDecision, ScaleRule, WindowRates } from '../scale.js';
import type { ScoredCandidate } from '../scoring.js';
import type { Rng } from '../../util/rng.js';

/** What a batch app sees when its goal is violated (nodes/node.ts, sim/engine.ts build it). */
export interface BatchStrategyInput {
  /** tells it from a stream app's input (absent in inputs built before stream apps had strategies: batch) */
  kind?: 'batch';
  appId: number;
  /** the node the app runs on */
  appNode: number;
  /** the goal check of the measured run: violated and satisfied terms, the ways to restore it (plans) */
  check: Pick<GoalCheck, 'met' | 'violated' | 'satisfied' | 'plans'>;
  /** the six metrics of the measured run */
  metrics: MetricValues;
  placement: {
    /** node of the app's reference copy */
    dataNode: number;
    referenceCopyId: number;
    /** every copy of the reference's data set, the reference included */
    familyCopies: readonly { id: number; nodeId: number }[];
    nodes: readonly { id: number; storage: boolean; availability: number }[];
  };
  /** mean latency from the app's node to every node, ms, by node id (0 to its own node; a node without a link is absent) */
  latencyMs: Readonly<Record<number, number>>;
  /**
   * every candidate (NA first, then M, C, CR), scored as the original strategy scores them
   * (decision.scoring): its impact vector, cost, counter, score and global score
   */
  candidates: readonly ScoredCandidate[];
  /** candidates left out because their impact vector is missing */
  missing: readonly string[];
  /** action counters by label (the community's verdicts) */
  counters: Readonly<Record<string, number>>;
  /** events not closed yet (any app) */
  openEvents: number;
  /** the scenario's decision parameters */
  params: DecisionParams;
  /** the app's seeded generator for choices: the only randomness a strategy may use */
  rng: Rng;
}

/**
 * A stream app's candidate: S{n} (or NA) with the community's counter for its label. There is no
 * impact vector for S{n}, so nothing is scored: `rule` in the input's `scale` is the proposal.
 */
export interface StreamCandidate {
  label: string;
  action: Extract<Action, { type: 'scale' | 'none' }>;
  counter: number;
}

/**
 * What a stream app sees once its scale rule's trigger fired (violationsInARow violated windows in
 * a row; decision/strategies/stream.ts builds it): the window's goal check and metrics, NA and
 * every S{n} but the current count, and the rule's proposal with its arithmetic.
 */
export interface StreamStrategyInput {
  kind: 'stream';
  appId: number;
  /** the node its workers run on */
  appNode: number;
  check: Pick<GoalCheck<StreamMetric>, 'met' | 'violated' | 'satisfied' | 'plans'>;
  /** the window's metrics (latency = end-to-end p95, ms) */
  metrics: StreamMetricValues;
  /** NA first, then S1..S{maxWorkers} without the current count */
  candidates: readonly StreamCandidate[];
  counters: Readonly<Record<string, number>>;
  params: DecisionParams;
  rng: Rng;
  scale: {
    rule: ScaleRule;
    /** the rule's decision (decideScale): its label (NA when it keeps the count), n, arithmetic and inputs */
    proposal: ScaleDecision;
    /** the window's rates the rule read */
    rates: WindowRates;
    workers: number;
    maxWorkers: number;
  };
}

/** What a strategy is given: a batch app's input or a stream app's (`kind` tells them apart). */
export type StrategyInput = BatchStrategyInput | StreamStrategyInput;

/** A candidate's label (`NA`, `M3_1`, `C3_1`, `CR2`), or the label with whether it was a random pick. */
export type StrategyResult = string | { chosen: string | { label: string }; explored?: boolean };

export type Strategy = (input: StrategyInput) => StrategyResult;

/** A strategy as the node loop runs it. */
export interface NamedStrategy {
  /** the built-in name, or the module path as the scenario writes it */
  name: string;
  decide: Strategy;
  /** false: the app leaves no feedback on the events of others (no-feedback) */
  leavesFeedback: boolean;
}

/**
 * A strategy that cannot be used: a module that does not load or exports no function (`appId`
 * unset), or, while an app runs, one that threw or chose what is not a candidate. Input the user
 * fixes (exit code 1); a node exits on it instead of retrying.
 */
export class StrategyError extends ValidationError {
  constructor(
    message: string,
    readonly strategy: string,
    readonly appId?: number,
  ) {
    super(message);
    this.name = 'StrategyError';
  }
}
