import type { MetricValues } from '../model/metrics.js';
import type { Goal, GoalTerm } from '../model/types.js';

export interface TermResult {
  term: GoalTerm;
  value: number;
  satisfied: boolean;
}

export interface GoalCheck {
  /** the whole expression (all = and, any = or), evaluated as a boolean */
  met: boolean;
  /** every leaf term in document order with its own verdict */
  terms: TermResult[];
  satisfied: GoalTerm[];
  violated: GoalTerm[];
  /**
   * The ways to restore a violated goal, each the set of violated terms that must become
   * satisfied: an AND needs all of its violated parts, an OR any one of its parts. Empty when met.
   */
  plans: GoalTerm[][];
}

/** Enough for any goal a person writes; a pathological OR-of-ANDs is cut there rather than exploding. */
const MAX_PLANS = 64;

function restorePlans(g: Goal, v: MetricValues): GoalTerm[][] {
  if (evalExpr(g, v)) return [[]];
  if (isTerm(g)) return [[g]];
  if ('any' in g) return g.any.flatMap((x) => restorePlans(x, v)).slice(0, MAX_PLANS);
  let plans: GoalTerm[][] = [[]];
  for (const part of g.all) {
    if (evalExpr(part, v)) continue;
    const options = restorePlans(part, v);
    plans = plans.flatMap((p) => options.map((o) => [...p, ...o])).slice(0, MAX_PLANS);
  }
  return plans;
}

export function isTerm(g: Goal): g is GoalTerm {
  return 'metric' in g;
}

export function termSatisfied(t: GoalTerm, v: MetricValues): boolean {
  const x = v[t.metric];
  if (!Number.isFinite(x)) return false; // a failed measurement never satisfies a goal
  return t.min !== undefined ? x >= t.min : x <= (t.max as number);
}

/** Leaf terms of a goal expression, in document order. */
export function goalTerms(g: Goal): GoalTerm[] {
  if (isTerm(g)) return [g];
  return ('all' in g ? g.all : g.any).flatMap(goalTerms);
}

function evalExpr(g: Goal, v: MetricValues): boolean {
  if (isTerm(g)) return termSatisfied(g, v);
  // every() / some() over the whole list: no short-circuit concerns, terms are pure
  return 'all' in g ? g.all.map((x) => evalExpr(x, v)).every(Boolean) : g.any.map((x) => evalExpr(x, v)).some(Boolean);
}

/** Checks a goal against measured values; the per-term lists feed the scoring (decision/scoring.ts). */
export function evaluateGoal(g: Goal, v: MetricValues): GoalCheck {
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

export function formatTerm(t: GoalTerm): string {
  return t.min !== undefined ? `${t.metric} >= ${t.min}` : `${t.metric} <= ${t.max}`;
}

export function formatGoal(g: Goal): string {
  if (isTerm(g)) return formatTerm(g);
  const parts = ('all' in g ? g.all : g.any).map((x) => (isTerm(x) ? formatGoal(x) : `(${formatGoal(x)})`));
  return parts.join('all' in g ? ' AND ' : ' OR ');
}
