/**
 * Runs one workload: sends its source's messages to its topic at the target rate (which steps
 * at `rateSteps`), `batch` at most per send, and counts what the bus acknowledged. Paced by
 * what is due (rate x elapsed - sent), so a slow send is caught up on rather than lost from the
 * rate. A send that fails (bus gone, topic missing) stops the workload with its error, which
 * `done` rejects with: never a hang, never a silent stop.
 */
import type { BusProducer, MessageBus } from '../bus.js';
import type { WorkloadSpec } from '../../model/scenario.js';
import type { MessageSource } from './source.js';

/** The target rate at `tS` seconds from the start: the last step at or before it, else the base rate. */
export function rateAt(spec: Pick<WorkloadSpec, 'rate' | 'rateSteps'>, tS: number): number {
  let r = spec.rate;
  for (const s of spec.rateSteps) if (s.at <= tS) r = s.rate;
  return r;
}

/** Messages due by `tS`: the integral of the stepped rate from 0. */
export function dueBy(spec: Pick<WorkloadSpec, 'rate' | 'rateSteps'>, tS: number): number {
  let due = 0;
  let from = 0;
  let rate = spec.rate;
  for (const s of spec.rateSteps) {
    if (s.at >= tS) break;
    due += rate * (s.at - from);
    from = s.at;
    rate = s.rate;
  }
  return Math.floor(due + rate * (tS - from));
}

export interface WorkloadStats {
  id: string;
  topic: string;
  /** messages the bus acknowledged */
  acked: number;
  /** the error that stopped it, if one did */
  error?: string;
}

export interface RunningWorkload {
  readonly stats: WorkloadStats;
  /** settles when stopped; rejects with the send error that stopped it */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface WorkloadOptions {
  /** pacing tick, ms (default 20) */
  tickMs?: number;
  now?: () => number;
}

export function startWorkload(bus: MessageBus, spec: WorkloadSpec, source: MessageSource, o: WorkloadOptions = {}): RunningWorkload {
  const now = o.now ?? Date.now;
  const tickMs = o.tickMs ?? 20;
  const producer: BusProducer = bus.producer({ batch: spec.batch, acks: -1 });
  const stats: WorkloadStats = { id: spec.id, topic: spec.topic, acked: 0 };
  const t0 = now();
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = async () => {
    let sent = 0;
    while (!stopped) {
      const due = dueBy(spec, (now() - t0) / 1000) - sent;
      if (due > 0) {
        const n = Math.min(due, spec.batch);
        const results = await producer.send(spec.topic, source.next(n, now()));
        sent += n;
        stats.acked += results.length;
        continue;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, tickMs);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  };
  const done = loop().then(
    async () => {
      await producer.close();
      await source.close?.();
    },
    async (e: Error) => {
      stats.error = `workload ${spec.id} (topic ${spec.topic}) stopped: ${e.message}`;
      await producer.close().catch(() => {});
      throw Object.assign(e, { message: stats.error });
    },
  );
  done.catch(() => {}); // the caller reads it from `done` or `stats.error`
  return {
    stats,
    done,
    async stop() {
      stopped = true;
      wake?.();
      await done.catch(() => {});
    },
  };
}
