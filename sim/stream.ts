/*
 * The fluid model of a stream app (docs/workloads.md "In virtual time"): what one window of
 * stream/app/app.ts would measure, from counts instead of records. Pure: no I/O, no clock; the
 * noise comes from the caller's generator, so one seed repeats a run. The virtual-time engine
 * (sim/engine.ts) closes its stream apps' windows with it; test/controller/fixtures.ts seeds the
 * dashboard's stream history with it.
 *
 * Per window of W s:
 *   produced  = what the workloads on the topic are due to have sent in the window (their rate and
 *               rate steps, stream/workload/producer.ts dueBy: the producers' own pacing)
 *   capacity  = floor(workers x W ms x (1 + 1 % noise) / costMs): a worker serves one record per
 *               costMs (app.ts Worker), side by side with the others
 *   processed = min(lag before + produced, capacity); lag = lag before + produced - processed
 *   busyMs    = processed x costMs
 *   latency   = window wait + queue wait: a record waits for its window to close (p95 of a uniform
 *               arrival over the window: 0.95 W, p50: 0.5 W, +- 20 ms) and behind the records queued
 *               before it; the record served last was written `lag` records ago, lag / input rate
 *               seconds (p95 takes the larger lag of the window's two ends, p50 their mean)
 * A window that processed nothing has no latency (NaN, as app.ts's quantile of none). The path
 * (link latency to stream.busNode, that node's availability) is the engine's: it reports it and a
 * goal over it is checked; it does not slow the model down (the embedded bus stays up in the
 * controller's process while its node is down, and records keep flowing).
 */
import type { StreamAppSpec, WorkloadSpec } from '../model/scenario.js';
import type { Rng } from '../util/rng.js';
import { dueBy } from '../stream/workload/producer.js';
import type { WindowMeasurement } from '../stream/app/window.js';

/** Messages the workloads produce in [fromS, toS) of their clock (s from their start; before it, none). */
export function producedIn(workloads: readonly Pick<WorkloadSpec, 'rate' | 'rateSteps'>[], fromS: number, toS: number): number {
  let n = 0;
  for (const w of workloads) n += dueBy(w, Math.max(0, toS)) - dueBy(w, Math.max(0, fromS));
  return n;
}

export interface ModelledWindow extends WindowMeasurement {
  /** records the workers could serve in the window */
  capacity: number;
}

/**
 * One window of the model. `lag` is the backlog at the window's start; the window's own lag is
 * the result's. Draws three numbers from `rng` (capacity, p95, p50), always in that order.
 */
export function modelWindow(
  spec: Pick<StreamAppSpec, 'windowS' | 'costMs'>,
  state: { workers: number; lag: number },
  w: { index: number; startS: number; endS: number; produced: number; path: WindowMeasurement['path'] },
  rng: Rng,
): ModelledWindow {
  const durS = w.endS - w.startS;
  const windowMs = spec.windowS * 1000;
  const capacity = Math.max(0, Math.floor((state.workers * durS * 1000 * rng.normal(1, 0.01)) / spec.costMs));
  const lagBefore = state.lag;
  const processed = Math.min(lagBefore + w.produced, capacity);
  const lag = lagBefore + w.produced - processed;
  const inputRate = w.produced / durS;
  // how long the record served last has waited in the queue: `records` were written after it
  const queuedMs = (records: number) => (1000 * records) / Math.max(1, inputRate);
  const p95 = rng.normal(0.95 * windowMs, 20) + queuedMs(Math.max(lagBefore, lag));
  const p50 = rng.normal(0.5 * windowMs, 20) + queuedMs((lagBefore + lag) / 2);
  return {
    index: w.index,
    startS: w.startS,
    endS: w.endS,
    durS,
    workers: state.workers,
    produced: w.produced,
    processed,
    capacity,
    busyMs: processed * spec.costMs,
    lag,
    latencyP95: processed > 0 ? p95 : NaN,
    latencyP50: processed > 0 ? p50 : NaN,
    path: w.path,
    groups: [],
  };
}
