import type { ImpactVector, Metric } from './metrics.js';

export interface NodeRow {
  id: number;
  name: string;
  storage: boolean;
  /** percent, 0..100 */
  availability: number;
}

export interface LinkRow {
  from: number;
  to: number;
  latencyMs: number;
}

/** A goal over any set of metric names: a batch app's six (Metric) or a stream app's (StreamMetric). */
export type GoalTermOf<M extends string> = { metric: M; min: number; max?: undefined } | { metric: M; max: number; min?: undefined };
export type GoalOf<M extends string> = GoalTermOf<M> | { all: GoalOf<M>[] } | { any: GoalOf<M>[] };
export type GoalTerm = GoalTermOf<Metric>;
export type Goal = GoalOf<Metric>;

export interface AppRow {
  id: number;
  nodeId: number;
  goal: Goal;
}

/** One physical copy of the data set, in the bucket of the node that hosts it. */
export interface DatasetCopy {
  id: number;
  familyId: number;
  nodeId: number;
  bucket: string;
  objectKey: string;
  version: number;
  createdAtMs: number;
}

/** `scale`: a stream app's S{n} (stream/app/), which changes no placement. */
export type ActionType = 'move' | 'copy' | 'changeRef' | 'scale' | 'none';

export interface EventRow {
  id: number;
  appId: number;
  datasetId: number;
  actionLabel: string;
  actionType: ActionType;
  createdAtMs: number;
  closesAtMs: number;
  active: boolean;
  explored: boolean;
  sumFeedback: number;
  globalFeedback: number | null;
}

export interface FeedbackRow {
  eventId: number;
  appId: number;
  value: number;
  createdAtMs: number;
}

export type ImpactSource = 'training' | 'online' | 'import';

export interface ImpactRow {
  appId: number;
  actionLabel: string;
  vector: ImpactVector;
  source: ImpactSource;
  updatedAtMs: number;
}

export interface RunRow {
  id: number;
  appId: number;
  datasetId: number | null;
  dataNode: number | null;
  startedAtMs: number;
  rtMs: number;
  etMs: number;
  throughput: number;
  latencyMs: number;
  availability: number;
  consistency: number;
  goalMet: boolean;
  /** the action taken after this run (NA when the goal was met or nothing was chosen) */
  actionLabel: string | null;
  error: string | null;
}

export type NewRun = Omit<RunRow, 'id'> & { decision?: DecisionTrace | null };

/**
 * What one violated check led to, kept with its run (docs/architecture.md: every decision, NA
 * included, is recorded with its best five candidates). `decided`: candidates were scored and
 * one chosen; `repairs-exhausted`: the last violated check of a repair cycle (feedback left,
 * no further decision); `failed`: the run failed, nothing was decided; `stale`: the placement
 * changed since the run was measured (or the optimistic update lost), so the app measured again;
 * `strategy-failed`: the app's strategy threw or chose what is not a candidate, which ends its loop.
 */
export interface DecisionTrace {
  kind: 'decided' | 'repairs-exhausted' | 'failed' | 'stale' | 'strategy-failed';
  /** the violated goal terms, as `metric <= bound` */
  violated: string[];
  /** the label chosen (NA when nothing was done) */
  chosen: string;
  explored: boolean;
  /** the best five candidates by global score */
  candidates: { label: string; score: number; counter: number; globalScore: number }[];
  /** 0 for the first check of a cycle, then 1, 2, ... after each repair */
  repair: number;
  /** feedback rows this check left on other apps' open events */
  feedbackGiven: number;
  /** node of the copy the app read in the measured run */
  dataNode: number;
  /** for `stale`: what changed; for `strategy-failed`: the error */
  reason?: string;
  /** the strategy that chose (decision/strategies/; scenario `strategy`, `apps[].strategy`) */
  strategy?: string;
}

export interface DecisionRow {
  runId: number;
  appId: number;
  createdAtMs: number;
  trace: DecisionTrace;
}
