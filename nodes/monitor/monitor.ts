import type { MetricValues } from '../../model/metrics.js';
import type { RunRow } from '../../model/types.js';
import type { Rng } from '../../util/rng.js';
import type { JobResult } from '../job/job.js';
import { dataConsistency } from '../../decision/consistency.js';

/*
 * The monitor (docs/metrics.md): turns one run of the job plus what is known about the
 * placement into the six QoS metrics. Pure: the caller reads the latency back from the proxy
 * and the availability and copy count from the store.
 */

export interface RunInput {
  job: Pick<JobResult, 'rtMs' | 'etMs' | 'throughput'>;
  /** latency in force on the app's proxy during the run (read back from the proxy API), ms */
  latencyMs: number;
  /** availability of the node hosting the reference copy, percent */
  dataNodeAvailability: number;
  /** copies of the data set family, the reference copy included */
  copiesInFamily: number;
  /** k: the number of copies the consistency metric is normalised by (scenario, default 2) */
  maxCopies: number;
}

export function measureRun(input: RunInput): MetricValues {
  const { job, latencyMs, dataNodeAvailability, copiesInFamily, maxCopies } = input;
  if (!(maxCopies >= 1)) throw new RangeError(`maxCopies must be >= 1, got ${maxCopies}`);
  if (!(copiesInFamily >= 1)) throw new RangeError(`copiesInFamily must be >= 1 (the reference copy itself), got ${copiesInFamily}`);
  return {
    responseTime: job.rtMs,
    executionTime: job.etMs,
    throughput: job.throughput,
    latency: latencyMs,
    availability: dataNodeAvailability,
    consistency: dataConsistency(copiesInFamily, maxCopies),
  };
}


/** The latency for one run: a normal draw around the link's mean (sd 7 ms by default), floored at 0. */
export function drawLatency(rng: Rng, meanMs: number, sdMs: number): number {
  if (meanMs === 0) return 0; // an app reading its own node's copy: no network in between
  return Math.max(0, rng.normal(meanMs, sdMs));
}

/**
 * The row one measured run leaves (the runs table): non-finite timings of a failed run stored as
 * 0, the goal met only when the run did not fail. Shared by the node loop and the virtual-time
 * engine (sim/engine.ts).
 */
export function runRecord(
  appId: number,
  m: { copy: { id: number; nodeId: number }; startedAtMs: number; metrics: MetricValues; error: string | null },
  goalMet: boolean,
  actionLabel: string,
): Omit<RunRow, 'id'> {
  const fin = (x: number) => (Number.isFinite(x) ? x : 0);
  return {
    appId,
    datasetId: m.copy.id,
    dataNode: m.copy.nodeId,
    startedAtMs: m.startedAtMs,
    rtMs: fin(m.metrics.responseTime),
    etMs: fin(m.metrics.executionTime),
    throughput: fin(m.metrics.throughput),
    latencyMs: fin(m.metrics.latency),
    availability: m.metrics.availability,
    consistency: m.metrics.consistency,
    goalMet: goalMet && !m.error,
    actionLabel,
    error: m.error,
  };
}
