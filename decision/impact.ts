import { HIGHER_IS_BETTER, METRICS, type ImpactVector, type Metric, type MetricValues } from '../model/metrics.js';

/**
 * The impact function (docs/metrics.md): how much a change of one metric helps (+) or hurts (-),
 * squashed into [-1, 1] by an arctangent. rho is the change that maps to atan(pi/2) ~ 1.0,
 * i.e. the scale at which a change counts as "large"; past it the value is clipped to +-1.
 */
export function impactF(delta: number, rho: number, higherIsBetter: boolean): number {
  if (!(rho > 0)) throw new Error(`rho must be > 0, got ${rho}`);
  if (!Number.isFinite(delta)) return 0;
  const raw = Math.max(-1, Math.min(1, Math.atan((delta * (Math.PI / 2)) / rho)));
  // lower-is-better metrics: a drop (negative delta) is an improvement
  const f = higherIsBetter ? raw : -raw;
  return f === 0 ? 0 : f; // no -0 in stored vectors
}

/** The per-metric f values of going from `before` to `after` (delta = after - before). */
export function impactFromDelta(before: MetricValues, after: MetricValues, rho: Record<Metric, number>): ImpactVector {
  // one literal of every metric rather than keyed stores into {}: the virtual-time engine derives
  // thousands per decision (sim/impacts.ts), 17 % faster so
  const f = (m: Metric) => impactF(after[m] - before[m], rho[m], HIGHER_IS_BETTER[m]);
  return { responseTime: f('responseTime'), executionTime: f('executionTime'), throughput: f('throughput'), latency: f('latency'), availability: f('availability'), consistency: f('consistency') };
}

/** Online learning: impact[m] = (1 - lr) * impact[m] + lr * f[m]. */
export function updateImpact(old: ImpactVector, f: ImpactVector, lr: number): ImpactVector {
  if (!(lr >= 0 && lr <= 1)) throw new Error(`learning rate must be in [0, 1], got ${lr}`);
  const out = {} as ImpactVector;
  for (const m of METRICS) out[m] = (1 - lr) * old[m] + lr * f[m];
  return out;
}

/**
 * What one repair teaches (docs/architecture.md): the action's vector moved by lr towards what the
 * action did, f(after - before) with the app's rho. DC is kept: it follows from the copy count.
 */
export function learnedVector(old: ImpactVector, before: MetricValues, after: MetricValues, rho: Record<Metric, number>, lr: number): ImpactVector {
  return { ...updateImpact(old, impactFromDelta(before, after, rho), lr), consistency: old.consistency };
}

/** Component-wise mean of vectors (training averages the f values of N repetitions). */
export function meanVector(vs: readonly ImpactVector[]): ImpactVector {
  if (vs.length === 0) throw new Error('meanVector of no vectors');
  const out = {} as ImpactVector;
  for (const m of METRICS) out[m] = vs.reduce((s, v) => s + v[m], 0) / vs.length;
  return out;
}
