import { METRICS, type ImpactVector, type MetricValues, type Metric } from '../model/metrics.js';
import { impactFromDelta, meanVector } from '../decision/impact.js';
import { copyConsistencyImpact } from '../decision/consistency.js';

/*
 * Pure vector arithmetic of training: no I/O, so it is tested on plain numbers.
 *
 * M{x}_{y}: per iteration, f(after - before) per metric with the node loop's impact function,
 *   before = run with the data on x, after = run with the data on y; averaged over iterations.
 *   A and DC come out of the measured metrics themselves: the monitor reports the
 *   availability of the data node, and a move leaves the copy count unchanged (DC = 0).
 * C{x}_{y}: the data ends up on y exactly as for the move, so RT, ET, X, NL, A are M's;
 *   only DC differs: the family gains a copy (copies -> copies + 1).
 * CR{y}: the app re-points to a copy already on y; where its old reference was is not known
 *   in advance, so CR{y} = mean over every x != y of M{x}_{y} (DC stays 0: no copy is made).
 */

/** M{x}_{y} from paired measurements: before[i] (data on x) and after[i] (data on y) of iteration i. */
export function moveVector(before: readonly MetricValues[], after: readonly MetricValues[], rho: Record<Metric, number>): ImpactVector {
  if (before.length !== after.length || before.length === 0) throw new Error(`moveVector: need as many runs on x as on y (got ${before.length} and ${after.length})`);
  return meanVector(before.map((b, i) => impactFromDelta(b, after[i], rho)));
}

export { copyConsistencyImpact };

/** C{x}_{y}: M{x}_{y} with the DC component of one extra copy. */
export function copyVector(move: ImpactVector, copies: number, maxCopies: number, rhoConsistency: number): ImpactVector {
  return { ...move, consistency: copyConsistencyImpact(copies, maxCopies, rhoConsistency) };
}

/** CR{y}: mean over x of M{x}_{y}. */
export function changeRefVector(movesInto: readonly ImpactVector[]): ImpactVector {
  return meanVector(movesInto);
}

/** Rounds for storage and files: six decimals are far below the noise of a measurement. */
export function roundVector(v: ImpactVector): ImpactVector {
  return Object.fromEntries(METRICS.map((m) => [m, Math.round(v[m] * 1e6) / 1e6 + 0])) as ImpactVector;
}
