/*
 * `fogsim calibrate`: fits the constants of the data-path model (sim/data-path.ts) from real runs
 * of the job through the app's proxy against the object store. Two halves: the fit
 * (fitDataPathModel, pure: samples in, model out) and the measurement (measureCalibration: the
 * infrastructure of infra/infra.ts, started by the caller, does the I/O).
 *
 * The fit is ordinary least squares of
 *   ET = baseMs + requests x perRequestMs + requests x latency x latencyFactor + bytes / bytesPerMs
 * over every run, with non-negative coefficients and bytesPerMs > 0. The records column of the
 * model is not fitted: in a generated data set bytes = records x bytesPerRecord, so the two
 * columns are collinear and the scan cost of a record is folded into bytesPerMs (perRecordMs 0).
 * A column that is constant like the intercept (requests when every read is one GET), all zero
 * (no latency above 0) or, for requests, a near straight-line function of bytes (ranges of one
 * size) cannot be told apart and is dropped, its coefficient 0; the file's `fit.how` says which.
 */
import { stat } from 'node:fs/promises';
import type { Infra } from '../infra/infra.js';
import { UserError } from '../model/errors.js';
import { MAX_LATENCY_MS } from '../model/limits.js';
import type { DatasetCopy } from '../model/types.js';
import { ensureDatasetFile } from '../dataset/generate.js';
import { proxiedJob } from '../nodes/deps.js';
import { proxyNameForApp } from '../proxies/latency-control.js';
import { dataPathModelSchema, expectedEtMs, requestsFor, type DataPathModel } from './data-path.js';

/** One measured run of the job. */
export interface CalibrationSample {
  records: number;
  /** bytes of JSON the job read */
  bytes: number;
  /** the job's range size (0: one GET) */
  rangeBytes: number;
  /** latency set on the proxy's latency toxic, ms */
  latencyMs: number;
  rtMs: number;
  etMs: number;
}

/** Requests explained this well by bytes (R2 of a straight line) are not fitted on their own. */
const REQUESTS_COLLINEAR_R2 = 0.99;

/** R2 of the least-squares line of y on x; 1 when y is constant. */
function rSquared(x: readonly number[], y: readonly number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return syy === 0 || sxx === 0 ? 1 : (sxy * sxy) / (sxx * syy);
}

const COLUMNS = ['baseMs', 'perRequestMs', 'latencyFactor', 'bytes'] as const;
type Column = (typeof COLUMNS)[number];

function columnValues(s: CalibrationSample): Record<Column, number> {
  const requests = requestsFor(s.bytes, s.rangeBytes);
  return { baseMs: 1, perRequestMs: requests, latencyFactor: requests * s.latencyMs, bytes: s.bytes };
}

/** Least squares on the given columns by the normal equations; undefined when they are (near) collinear. */
function leastSquares(rows: number[][], y: number[]): number[] | undefined {
  const k = rows[0].length;
  const a = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
  for (let i = 0; i < rows.length; i++) {
    for (let p = 0; p < k; p++) {
      for (let q = 0; q < k; q++) a[p][q] += rows[i][p] * rows[i][q];
      a[p][k] += rows[i][p] * y[i];
    }
  }
  const scale = Math.max(...a.map((r, p) => r[p]));
  for (let c = 0; c < k; c++) {
    let pivot = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    // columns are scaled to unit RMS, so a tiny pivot means one is a combination of the others
    if (!(Math.abs(a[pivot][c]) > 1e-9 * scale)) return undefined;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let q = c; q <= k; q++) a[r][q] -= f * a[c][q];
    }
  }
  return a.map((r, p) => r[k] / r[p]);
}

export interface FitOptions {
  /** fit.at (default now) */
  at?: string;
  /** what was measured, for fit.how (the fit adds what it did) */
  how?: string;
}

/**
 * Fits the model to measured runs (see the top of this file). Non-negative least squares, exact
 * for this handful of columns: the least-squares solution of every subset of the columns that
 * holds the bytes column, keeping the best one whose coefficients are all >= 0 (the NNLS optimum
 * is the unconstrained solution on its own support, so it is among them); the bytes column is in
 * every subset, so bytesPerMs stays finite. startupMs = mean(RT - ET); bytesPerRecord = bytes /
 * records; noiseSd = the sd of ET / model - 1, estimated robustly (1.4826 x median absolute
 * deviation). The relative noise is not one number: on a shared 2-core machine a read of a few ms
 * at latency 0 varies by tens of %, one of a second by 1 %; the RMS is ruled by the few shortest
 * reads, the median by the bulk (0.22 against 0.04, bench/RESULTS.md "Calibration"); fit.how gives both.
 */
export function fitDataPathModel(samples: readonly CalibrationSample[], o: FitOptions = {}): DataPathModel {
  if (samples.length < COLUMNS.length + 1) throw new UserError(`calibration: ${samples.length} run(s) cannot fit ${COLUMNS.length} constants; measure more points or runs`);
  const values = samples.map(columnValues);
  const y = samples.map((s) => s.etMs);
  const notes: string[] = ['perRecordMs 0: records and bytes are proportional in a generated data set, so the scan of a record is in bytesPerMs'];
  const usable: Column[] = [];
  for (const c of COLUMNS) {
    const v = values.map((x) => x[c]);
    const allZero = v.every((x) => x === 0);
    const constant = c !== 'baseMs' && v.every((x) => x === v[0]);
    if (c === 'bytes' && (allZero || constant)) throw new UserError('calibration: every run read the same number of bytes; give at least two sizes (--records)');
    if (allZero) notes.push(`${c} 0: no run had a latency above 0`);
    else if (constant) notes.push(`${c} 0: the same for every run (${c === 'perRequestMs' ? 'one request each' : 'constant'}), so it is in baseMs`);
    else usable.push(c);
  }
  // ranges of one size: requests ~ bytes / rangeBytes, and the fit cannot tell a request's cost
  // from its bytes' (it swung from 0 to 8 ms a request between two calibrations of one machine)
  const r2Requests = rSquared(values.map((x) => x.bytes), values.map((x) => x.perRequestMs));
  if (usable.includes('perRequestMs') && r2Requests >= REQUESTS_COLLINEAR_R2) {
    usable.splice(usable.indexOf('perRequestMs'), 1);
    notes.push(`perRequestMs 0: requests grow with bytes (R2 ${r2Requests.toFixed(4)}), so their cost is in bytesPerMs and baseMs, right for this range size; read with other range sizes too to fit it`);
  }
  // unit-RMS columns, so the collinearity test and the solve do not depend on units
  const rms = Object.fromEntries(usable.map((c) => [c, Math.sqrt(values.reduce((a, x) => a + x[c] ** 2, 0) / values.length)])) as Record<Column, number>;
  const optional = usable.filter((c) => c !== 'bytes');
  let best: { sse: number; coef: Map<Column, number> } | undefined;
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    const cols: Column[] = [...optional.filter((_, i) => mask & (1 << i)), 'bytes'];
    const rows = values.map((x) => cols.map((c) => x[c] / rms[c]));
    const beta = leastSquares(rows, y);
    if (!beta || beta.some((b) => b < 0)) continue;
    const sse = rows.reduce((a, r, i) => a + (y[i] - r.reduce((s, v, j) => s + v * beta[j], 0)) ** 2, 0);
    if (!best || sse < best.sse) best = { sse, coef: new Map(cols.map((c, j) => [c, beta[j] / rms[c]])) };
  }
  if (!best || !(best.coef.get('bytes')! > 0)) {
    throw new UserError('calibration: the time did not grow with the size of the data set, so bytesPerMs cannot be fitted; give sizes further apart (--records, e.g. 2000,60000)');
  }
  const coef = (c: Column) => best!.coef.get(c) ?? 0;
  const bytesPerRecord = samples.reduce((a, s) => a + s.bytes, 0) / samples.reduce((a, s) => a + s.records, 0);
  const draft: DataPathModel = {
    version: 1,
    startupMs: Math.max(0, mean(samples.map((s) => s.rtMs - s.etMs))),
    baseMs: coef('baseMs'),
    perRequestMs: coef('perRequestMs'),
    latencyFactor: coef('latencyFactor'),
    bytesPerMs: 1 / coef('bytes'),
    perRecordMs: 0,
    bytesPerRecord,
    noiseSd: 0,
    readFailure: 'none',
  };
  const predicted = samples.map((s) => expectedEtMs(draft, s));
  const residuals = samples.map((s, i) => s.etMs / predicted[i] - 1);
  const meanEt = mean(y);
  const sst = y.reduce((a, v) => a + (v - meanEt) ** 2, 0);
  const sse = y.reduce((a, v, i) => a + (v - predicted[i]) ** 2, 0);
  const model = {
    ...draft,
    noiseSd: Math.min(1, robustSd(residuals)),
    fit: {
      samples: samples.length,
      r2: sst > 0 ? 1 - sse / sst : null,
      meanAbsErrorMs: mean(y.map((v, i) => Math.abs(v - predicted[i]))),
      at: o.at ?? new Date().toISOString(),
      how: [o.how, ...notes, `noiseSd: 1.4826 x the median absolute deviation of ET / model - 1 (their RMS, outliers and all: ${Math.sqrt(mean(residuals.map((r) => r * r))).toFixed(3)})`].filter(Boolean).join('; '),
    },
  };
  const checked = dataPathModelSchema.safeParse(model);
  if (!checked.success) {
    const problems = checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new UserError(`calibration: the fitted constants are out of the model's bounds (${problems}); the runs were too noisy or too few: use more --runs or sizes further apart`);
  }
  return checked.data;
}

const mean = (xs: readonly number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
/** The sd of a normal sample from its median absolute deviation (1.4826 = 1 / Phi^-1(3/4)). */
const robustSd = (xs: readonly number[]) => {
  const m = median(xs);
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)));
};
const sd = (xs: readonly number[]) => {
  const m = mean(xs);
  return xs.length > 1 ? Math.sqrt(xs.reduce((a, v) => a + (v - m) ** 2, 0) / (xs.length - 1)) : 0;
};

/** One point of the plan (a size at a latency): what was measured, what the model says. */
export interface CalibrationPoint {
  records: number;
  bytes: number;
  rangeBytes: number;
  requests: number;
  latencyMs: number;
  runs: number;
  meanRtMs: number;
  meanEtMs: number;
  sdEtMs: number;
  modelEtMs: number;
}

export function calibrationPoints(samples: readonly CalibrationSample[], model: DataPathModel): CalibrationPoint[] {
  const groups = new Map<string, CalibrationSample[]>();
  for (const s of samples) {
    const k = `${s.records}:${s.latencyMs}:${s.rangeBytes}`;
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(s);
  }
  return [...groups.values()]
    .map((g) => ({
      records: g[0].records,
      bytes: Math.round(mean(g.map((s) => s.bytes))),
      rangeBytes: g[0].rangeBytes,
      requests: requestsFor(g[0].bytes, g[0].rangeBytes),
      latencyMs: g[0].latencyMs,
      runs: g.length,
      meanRtMs: mean(g.map((s) => s.rtMs)),
      meanEtMs: mean(g.map((s) => s.etMs)),
      sdEtMs: sd(g.map((s) => s.etMs)),
      modelEtMs: expectedEtMs(model, g[0]),
    }))
    .sort((a, b) => a.records - b.records || a.latencyMs - b.latencyMs || a.rangeBytes - b.rangeBytes);
}

// ---- the measurement ------------------------------------------------------------------------

/** What to measure: every size at every latency, `runs` times. */
export interface CalibrationPlan {
  records: number[];
  latencies: number[];
  /** the job's range size (scenario job.rangeBytes); 0: one GET */
  rangeBytes: number;
  runs: number;
  /** seed of the generated data sets */
  seed: number;
  /** a run past this fails the calibration, ms */
  timeoutMs?: number;
}

/** Refuses a plan that cannot fit every constant, naming the flag. */
export function checkCalibrationPlan(p: CalibrationPlan): void {
  const sizes = new Set(p.records);
  if (p.records.some((r) => !Number.isSafeInteger(r) || r < 1 || r > 10_000_000)) throw new UserError(`--records: expected record counts from 1 to 10000000, got ${p.records.join(',')}`);
  if (sizes.size < 2) throw new UserError(`--records: give at least two different sizes (e.g. 2000,60000), so the cost of a byte can be told from the fixed cost; got ${p.records.join(',')}`);
  if (p.latencies.some((l) => !Number.isFinite(l) || l < 0 || l > MAX_LATENCY_MS)) throw new UserError(`--latencies: expected latencies from 0 to ${MAX_LATENCY_MS} ms, got ${p.latencies.join(',')}`);
  if (new Set(p.latencies).size < 2) throw new UserError(`--latencies: give at least two different latencies (e.g. 0,100), so the latency factor can be fitted; got ${p.latencies.join(',')}`);
  if (!Number.isSafeInteger(p.rangeBytes) || p.rangeBytes < 0) throw new UserError(`--range-bytes: expected a whole number of bytes >= 0 (0: one GET), got ${p.rangeBytes}`);
  if (!Number.isSafeInteger(p.runs) || p.runs < 1) throw new UserError(`--runs: expected a whole number >= 1, got ${p.runs}`);
}

/** The proxy calibration reads through: app id 0, which no scenario app has (ids start at 1, model/limits.ts). */
export const CALIBRATION_APP_ID = 0;
export const CALIBRATION_BUCKET = 'fogsim-calibration';

/**
 * Measures the plan on `infra` (infra/infra.ts; the caller starts and stops it): a generated data
 * set of each size uploaded once to CALIBRATION_BUCKET, then the node's own proxied job
 * (nodes/deps.ts proxiedJob) with the latency toxic set to each latency. One unmeasured run of
 * each size first (the first runs of a process pay for connection set-up and JIT warm-up), then
 * the runs interleaved (run, size, latency), so a drift of the machine spreads over every point.
 */
export async function measureCalibration(
  infra: Pick<Infra, 'cfg' | 'objects' | 'latency'>,
  plan: CalibrationPlan,
  onSample?: (s: CalibrationSample, done: number, total: number) => void,
): Promise<CalibrationSample[]> {
  checkCalibrationPlan(plan);
  const records = [...new Set(plan.records)].sort((a, b) => a - b);
  const latencies = [...new Set(plan.latencies)].sort((a, b) => a - b);
  await infra.objects.ensureBucket(CALIBRATION_BUCKET);
  const copies = new Map<number, DatasetCopy>();
  for (const n of records) {
    const file = await ensureDatasetFile({ dataset: { records: n, seed: plan.seed } }, infra.cfg);
    const key = `bloodtests-${n}-seed${plan.seed}.json`;
    const have = await infra.objects.statObject(CALIBRATION_BUCKET, key);
    const { size } = await stat(file);
    if (have?.size !== size) await infra.objects.putFile(CALIBRATION_BUCKET, key, file);
    copies.set(n, { id: 0, familyId: 0, nodeId: 0, bucket: CALIBRATION_BUCKET, objectKey: key, version: 0, createdAtMs: 0 });
  }
  const name = proxyNameForApp(infra.cfg.session, CALIBRATION_APP_ID);
  const { runJob } = await proxiedJob(CALIBRATION_APP_ID, infra.objects, infra.latency, infra.cfg, { rangeBytes: plan.rangeBytes, timeoutMs: plan.timeoutMs ?? 120_000 });
  const samples: CalibrationSample[] = [];
  const total = plan.runs * records.length * latencies.length;
  try {
    await infra.latency.setLatency(name, 0);
    for (const n of records) await runJob(copies.get(n)!);
    for (let r = 0; r < plan.runs; r++) {
      for (const n of records) {
        for (const latencyMs of latencies) {
          await infra.latency.setLatency(name, latencyMs);
          const job = await runJob(copies.get(n)!);
          if (job.records !== n) throw new UserError(`calibration: the data set of ${n} records read as ${job.records}; remove ${CALIBRATION_BUCKET}/${copies.get(n)!.objectKey} and run again`);
          const s: CalibrationSample = { records: n, bytes: job.bytes, rangeBytes: plan.rangeBytes, latencyMs, rtMs: job.rtMs, etMs: job.etMs };
          samples.push(s);
          onSample?.(s, samples.length, total);
        }
      }
    }
  } finally {
    // a real Toxiproxy outlives the command: leave nothing behind on it
    await infra.latency.removeProxy(name).catch(() => undefined);
  }
  return samples;
}

/** What was measured, in words, for fit.how. */
export function describePlan(plan: CalibrationPlan, where: { s3Url: string; toxiproxyUrl: string; embedded: boolean }): string {
  return (
    `the job (nodes/job/job.ts) through ${where.embedded ? 'the embedded' : 'the'} latency proxy ${where.toxiproxyUrl} from the object store ${where.s3Url}; ` +
    `records ${[...new Set(plan.records)].join(',')} (seed ${plan.seed}); latencies ${[...new Set(plan.latencies)].join(',')} ms; ` +
    `${plan.rangeBytes > 0 ? `ranges of ${plan.rangeBytes} bytes` : 'one GET'}; ${plan.runs} run(s) per point`
  );
}
