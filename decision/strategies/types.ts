/*
 * The strategy interface: one pure function from what the app sees when its goal is violated to
 * the action it takes. Plain data in, a candidate's label out; no I/O, no clock, randomness only
 * from `rng`. docs/strategies.md describes every field and the built-ins.
 */
import { ValidationError } from '../../model/errors.js';
import type { MetricValues } from '../../model/metrics.js';
import type { DecisionParams } from '../../model/scenario.js';
import type { GoalCheck } from '../goal.js';
import type { ScoredCandidate } from '../scoring.js';
import type { Rng } from '../../util/rng.js';

export interface StrategyInput {
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
