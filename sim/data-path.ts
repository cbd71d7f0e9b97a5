/*
 * The model of the data path the virtual-time engine (sim/engine.ts) times a job with, in place of
 * running it: one run reads the data set in `requests` ranged GETs through the app's proxy, each
 * paying the link's latency, then scans its records. `fogsim calibrate` fits the constants from
 * real runs of the job through the proxy (sim/calibrate.ts) and writes them as JSON; a scenario
 * names that file in `sim.model`. Pure: no I/O, no clock.
 *
 *   ET = baseMs + requests x (perRequestMs + latencyFactor x latency) + bytes / bytesPerMs
 *        + bytes / linkRate (a limited link) + records x perRecordMs,   times (1 + noise)
 *   RT = ET + startupMs          X = records / ET
 */
import { z } from 'zod';
import type { Rng } from '../util/rng.js';

export const dataPathModelSchema = z
  .object({
    version: z.literal(1).describe('format version of the file'),
    startupMs: z.number().min(0).max(60_000).describe('RT - ET: the job\'s start before its first request (connection, set-up), ms'),
    baseMs: z.number().min(0).max(60_000).describe('fixed part of ET whatever the size and latency, ms'),
    perRequestMs: z.number().min(0).max(60_000).describe('what one GET costs beyond the link latency (round trip on loopback, headers), ms'),
    latencyFactor: z.number().min(0).max(10).describe('how many times the link latency one GET pays (1 through the proxy: its latency toxic delays the response once)'),
    bytesPerMs: z.number().positive().max(1e9).describe('bytes the unlimited path carries per ms (read and parse)'),
    perRecordMs: z.number().min(0).max(1000).describe('scan cost of one record beyond its bytes, ms'),
    bytesPerRecord: z.number().positive().max(1e9).describe('mean size of one record of the data set, bytes (its JSON)'),
    noiseSd: z.number().min(0).max(1).describe('relative sd of ET from run to run (0.05: 5 %)'),
    readFailure: z.enum(['none', 'availability']).describe('none: a read fails only when the data node is down (as in emulation); availability: each read succeeds with probability A / 100'),
    fit: z
      .object({
        samples: z.number().int().min(0),
        r2: z.number().nullable(),
        meanAbsErrorMs: z.number().nullable(),
        at: z.string().describe('when the calibration ran (ISO time)'),
        how: z.string().describe('what was measured: proxy, object store, latencies, sizes'),
      })
      .partial()
      .optional()
      .describe('how the constants were fitted (written by fogsim calibrate)'),
  })
  .strict();

export type DataPathModel = z.infer<typeof dataPathModelSchema>;

/**
 * The constants used when a scenario names no model file: a calibration of the embedded stack
 * (fogsim calibrate --runs 10 on a 2-core machine, default sizes and latencies; bench/RESULTS.md
 * "Calibration"), rounded. perRequestMs is 0 because with ranges of one size requests grow with
 * bytes and their cost is in bytesPerMs (sim/calibrate.ts).
 */
export const DEFAULT_DATA_PATH_MODEL: DataPathModel = {
  version: 1,
  startupMs: 1.8,
  baseMs: 3.8,
  perRequestMs: 0,
  latencyFactor: 1.003,
  bytesPerMs: 405_600,
  perRecordMs: 0,
  bytesPerRecord: 581.6,
  noiseSd: 0.042,
  readFailure: 'none',
  fit: {
    samples: 120,
    r2: 0.9998,
    meanAbsErrorMs: 9.4,
    at: '2026-12-03T22:05:27.571Z',
    how: 'fogsim calibrate --runs 10: embedded proxy and object store; records 2000,20000,60000; latencies 0,20,100,400 ms; ranges of 4194304 bytes',
  },
};

export interface ReadInput {
  records: number;
  /** bytes of the object; default records x bytesPerRecord */
  bytes?: number;
  /** the job's range size (scenario job.rangeBytes); 0 or undefined: one GET */
  rangeBytes?: number;
  /** latency of the link for this run (already drawn), ms; 0 for a local read */
  latencyMs: number;
  /** a limited link's rate, KB/s (timeline setBandwidth); 0/undefined: unlimited */
  rateKBps?: number;
}

/** How many GETs a read takes: one per range. */
export function requestsFor(bytes: number, rangeBytes: number | undefined): number {
  return rangeBytes && rangeBytes > 0 ? Math.max(1, Math.ceil(bytes / rangeBytes)) : 1;
}

/** The expected ET of one read, ms, without noise. */
export function expectedEtMs(m: DataPathModel, r: ReadInput): number {
  const bytes = r.bytes ?? r.records * m.bytesPerRecord;
  const requests = requestsFor(bytes, r.rangeBytes);
  const limited = r.rateKBps && r.rateKBps > 0 ? bytes / (r.rateKBps * 1.024) : 0; // KB/s = 1.024 bytes/ms
  return m.baseMs + requests * (m.perRequestMs + m.latencyFactor * r.latencyMs) + bytes / m.bytesPerMs + limited + r.records * m.perRecordMs;
}

export interface JobTiming {
  rtMs: number;
  etMs: number;
  /** records per second */
  throughput: number;
}

/** One run's timings: the expected ET with its noise drawn from `rng`. */
export function timeJob(m: DataPathModel, r: ReadInput, rng: Rng): JobTiming {
  const et = Math.max(0.1, expectedEtMs(m, r) * (1 + (m.noiseSd > 0 ? rng.normal(0, m.noiseSd) : 0)));
  return { etMs: et, rtMs: et + m.startupMs, throughput: (r.records / et) * 1000 };
}

/** Whether a read of a copy on a node of availability `availabilityPct` succeeds (model readFailure). */
export function readSucceeds(m: DataPathModel, availabilityPct: number, rng: Rng): boolean {
  return m.readFailure === 'none' || rng.next() * 100 < availabilityPct;
}
