/** The six QoS metrics, in the order of an impact vector (RT, ET, X, NL, A, DC). */
export const METRICS = ['responseTime', 'executionTime', 'throughput', 'latency', 'availability', 'consistency'] as const;
export type Metric = (typeof METRICS)[number];

/** Whether a larger value of the metric is better; drives the sign of the impact function. */
export const HIGHER_IS_BETTER: Record<Metric, boolean> = {
  responseTime: false,
  executionTime: false,
  throughput: true,
  latency: false,
  availability: true,
  consistency: true,
};

/** Units, for messages and the UI. */
export const METRIC_UNITS: Record<Metric, string> = {
  responseTime: 'ms',
  executionTime: 'ms',
  throughput: 'records/s',
  latency: 'ms',
  availability: '%',
  consistency: 'ratio',
};

/** Column names of the impact_vectors table, in vector order. */
export const IMPACT_COLUMNS = ['rt', 'et', 'x', 'nl', 'av', 'dc'] as const;

export type MetricValues = Record<Metric, number>;
/** Six numbers in [-1, 1], indexed by metric. */
export type ImpactVector = Record<Metric, number>;

export function vectorToArray(v: ImpactVector): number[] {
  return METRICS.map((m) => v[m]);
}

export function arrayToVector(a: readonly number[]): ImpactVector {
  if (a.length !== METRICS.length) throw new Error(`an impact vector has ${METRICS.length} values, got ${a.length}`);
  return Object.fromEntries(METRICS.map((m, i) => [m, a[i]])) as ImpactVector;
}

export function zeroVector(): ImpactVector {
  return arrayToVector(METRICS.map(() => 0));
}

/**
 * A stream app's metrics, one value each per window (stream/app/): `latency` end-to-end latency
 * p95 (result published - record timestamp), ms; `latencyP50` its median; `throughput` records
 * consumed per second; `lag` messages produced and not yet committed by the app's group.
 */
/**
 * A stream app's window metrics: end-to-end latency p95 (`latency`) and p50, ms; throughput,
 * records/s; consumer lag, records; and its data path: the link latency between its node and the
 * bus's node (`pathLatency`, ms) and the bus node's availability (%, 0 while it is down).
 */
export const STREAM_METRICS = ['latency', 'latencyP50', 'throughput', 'lag', 'pathLatency', 'availability'] as const;
export type StreamMetric = (typeof STREAM_METRICS)[number];
export type StreamMetricValues = Record<StreamMetric, number>;
