import type { Metric } from '../model/metrics.js';
import type { GoalOf, GoalTermOf } from '../model/types.js';

// Generic over the metric names: batch apps check their six metrics, stream apps (stream/app/) theirs.
type Values<M extends string> = Record<M, number>;

export interface TermResult<M extends string = Metric> {
  term: GoalTermOf<M>;
  value: number;
  satisfied: boolean;
}

export interface GoalCheck<M extends string = Metric> {
  /** the whole expression (all = and, any = or), evaluated as a boolean */
  met: boolean;
  /** every leaf term in document order with its own verdict */
  terms: TermResult<M>[];
  satisfied: GoalTermOf<M>[];
  violated: GoalTermOf<M>[];
  /**
   * The ways to restore a violated goal, each the set of violated terms that must become
   * satisfied: an AND needs all of its violated parts, an OR any one of its parts. Empty when met.
   */
  plans: GoalTermOf<M>[][];
}

/** Enough for any goal a person writes; a pathological OR-of-ANDs is cut there rather than exploding. */
const MAX_PLANS = 64;

function restorePlans<M extends string>(g: GoalOf<M>, v: Values<M>): GoalTermOf<M>[][] {
  if (evalExpr(g, v)) return [[]];
  if (isTerm(g)) return [[g]];
  if ('any' in g) return g.any.flatMap((x) => restorePlans(x, v)).slice(0, MAX_PLANS);
  let plans: GoalTermOf<M>[][] = [[]];
  for (const part of g.all) {
    if (evalExpr(part, v)) continue;
    const options = restorePlans(part, v);
    plans = plans.flatMap((p) => options.map((o) => [...p, ...o])).slice(0, MAX_PLANS);
  }
  return plans;
}

export function isTerm<M extends string>(g: GoalOf<M>): g is GoalTermOf<M> {
  return 'metric' in g;
}

export function termSatisfied<M extends string>(t: GoalTermOf<M>, v: Values<M>): boolean {
  const x = v[t.metric];
  if (!Number.isFinite(x)) return false; // a failed measurement never satisfies a goal
  return t.min !== undefined ? x >= t.min : x <= (t.max as number);
}

/** Leaf terms of a goal expression, in document order. */
export function goalTerms<M extends string>(g: GoalOf<M>): GoalTermOf<M>[] {
  if (isTerm(g)) return [g];
  return ('all' in g ? g.all : g.any).flatMap((x) => goalTerms(x));
}

function evalExpr<M extends string>(g: GoalOf<M>, v: Values<M>): boolean {
  if (isTerm(g)) return termSatisfied(g, v);
  // every() / some() over the whole list: no short-circuit concerns, terms are pure
  return 'all' in g ? g.all.map((x) => evalExpr(x, v)).every(Boolean) : g.any.map((x) => evalExpr(x, v)).some(Boolean);
}

/** Checks a goal against measured values; the per-term lists feed the scoring (decision/scoring.ts). */
export function evaluateGoal(g: GoalOf<Metric>, v: Values<Metric>): GoalCheck<Metric>;
export function evaluateGoal<M extends string>(g: GoalOf<M>, v: Values<M>): GoalCheck<M>;
export function evaluateGoal<M extends string>(g: GoalOf<M>, v: Values<M>): GoalCheck<M> {
  const terms = goalTerms(g).map((term) => ({ term, value: v[term.metric], satisfied: termSatisfied(term, v) }));
  const met = evalExpr(g, v);
  return {
    met,
    plans: met ? [] : restorePlans(g, v),
    terms,
    satisfied: terms.filter((t) => t.satisfied).map((t) => t.term),
    violated: terms.filter((t) => !t.satisfied).map((t) => t.term),
  };
}

export function formatTerm<M extends string>(t: GoalTermOf<M>): string {
  return t.min !== undefined ? `${t.metric} >= ${t.min}` : `${t.metric} <= ${t.max}`;
}

export function formatGoal<M extends string>(g: GoalOf<M>): string {
  if (isTerm(g)) return formatTerm(g);
  const parts = ('all' in g ? g.all : g.any).map((x) => (isTerm(x) ? formatGoal(x) : `(${formatGoal(x)})`));
  return parts.join('all' in g ? ' AND ' : ' OR ');
}
