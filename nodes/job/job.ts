import { createReadStream } from 'node:fs';
import { open as openFile, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FogsimError, UserError } from '../../model/errors.js';
import type { ObjectStore } from '../../objectstore/object-store.js';
import { CholesterolScanner } from './cholesterol-scanner.js';

/** One run of the analytic job: the average cholesterol of the data set, with its timings. */
export interface JobResult {
  /** average cholesterol over the records that have a numeric one; null when none has */
  avg: number | null;
  /** records in the data set (elements of the top-level array) */
  records: number;
  /** records whose cholesterol is missing or not a number: counted, never averaged */
  skipped: number;
  /** bytes of JSON read (uncompressed) */
  bytes: number;
  /** response time: from the job's start, before any connection, to the result (latency included) */
  rtMs: number;
  /**
   * execution time: from the source's first request (DatasetSource `started`) to the result, so
   * the whole read through the app's proxy plus processing; from the job's start (= RT) for a
   * source that does not report it
   */
  etMs: number;
  /** records / ET, per second */
  throughput: number;
}

export interface JobOptions {
  /** the numeric field to average (default "cholesterol") */
  field?: string;
}

/** The job over an object: how to read it, and when to give up. */
export interface ObjectJobOptions extends JobOptions {
  /** > 0: read the object in ranged GETs of at most this many bytes, each paying the path's latency (scenario job.rangeBytes); 0/undefined: one GET */
  rangeBytes?: number;
  /** aborts the job (and its read) */
  signal?: AbortSignal;
  /** > 0: the job fails with JobAbortedError (timedOut) after this many ms from its start, its read aborted */
  timeoutMs?: number;
}

/** The job was stopped: its signal aborted, or it ran past its timeoutMs (`timedOut`). */
export class JobAbortedError extends UserError {
  constructor(message: string, readonly timedOut: boolean, options?: { cause?: unknown }) {
    super(message);
    this.name = timedOut ? 'JobTimeoutError' : 'AbortError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/**
 * Pushes the data set into `sink`, chunk by chunk, and resolves at its end. A chunk is valid only
 * during the call (sources may reuse the memory); an error thrown by the sink stops the source.
 * `started()` marks the start of ET: call it just before sending the first request (or reading
 * the first byte); a source that never calls it has ET = RT.
 */
export type DatasetSource = (sink: (chunk: Buffer) => void, started: () => void) => Promise<unknown>;

/**
 * Runs the job over what `source` pushes (started inside the timed section). Memory stays
 * bounded: each chunk is scanned and dropped. Malformed or truncated data throws DatasetError
 * (a UserError with the byte offset); a failing source throws UserError.
 */
export async function runJobFrom(source: DatasetSource, opts: JobOptions = {}): Promise<JobResult> {
  const scanner = new CholesterolScanner(opts.field);
  const t0 = performance.now();
  let tStart = -1;
  const started = () => {
    if (tStart < 0) tStart = performance.now();
  };
  try {
    await source((chunk) => scanner.write(chunk), started);
  } catch (e) {
    if (e instanceof FogsimError) throw e;
    throw new UserError(`reading the data set failed after ${scanner.bytes} bytes: ${(e as Error).message}`);
  }
  const r = scanner.end();
  const tEnd = performance.now();
  const etMs = tEnd - (tStart < 0 ? t0 : tStart);
  return {
    avg: r.avg,
    records: r.records,
    skipped: r.skipped,
    bytes: r.bytes,
    rtMs: tEnd - t0,
    etMs,
    // an ET of 0 (tiny input, one chunk) would give Infinity: report records per ms floor instead
    throughput: r.records / (Math.max(etMs, 0.001) / 1000),
  };
}

/** Runs the job over a stream opened by `open` (called once, inside the timed section; ET starts once it is open). */
export async function runJob(open: () => Promise<Readable | AsyncIterable<Buffer>>, opts: JobOptions = {}): Promise<JobResult> {
  return runJobFrom(async (sink, started) => {
    const stream = await open();
    started();
    try {
      for await (const chunk of stream) sink(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
    } catch (e) {
      // `for await` has already returned the iterator (destroying a Readable); make sure of it
      if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
      throw e;
    }
  }, opts);
}

/** The job over a local file; `.gz` files are gunzipped on the fly (bytes counts the JSON). */
export async function runJobOnFile(path: string, opts: JobOptions = {}): Promise<JobResult> {
  return runJob(async () => {
    let st;
    try {
      st = await stat(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(code === 'ENOENT' ? `data set file not found: ${path}` : `cannot read data set file ${path}: ${(e as Error).message}`);
    }
    if (!st.isFile()) throw new UserError(`data set path is not a file: ${path}`);
    if (!path.endsWith('.gz')) return readChunks(path);
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    // pipeline: an error on either side, or the job stopping early (destroy), closes both
    pipeline(file, gunzip, () => {});
    return gunzip;
  }, opts);
}

/**
 * A plain file, read 1 MiB at a time into TWO reused buffers: while the scanner works on one, the
 * next read fills the other on libuv's thread pool (another core), so reading costs the job
 * almost nothing. Reusing the memory spares the page faults of a fresh megabyte per chunk.
 * The consumer must be done with a chunk before it asks for the next one (the scanner is).
 */
async function* readChunks(path: string): AsyncGenerator<Buffer> {
  const fh = await openFile(path, 'r');
  const size = 1 << 20;
  const bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let position = 0;
  const readInto = (buf: Buffer) => fh.read(buf, 0, size, position);
  let pending = readInto(bufs[0]);
  try {
    for (let k = 1; ; k++) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) return;
      position += bytesRead;
      pending = readInto(bufs[k & 1]);
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    // a read still in flight must finish before its file handle closes
    await pending.catch(() => undefined);
    await fh.close();
  }
}

/**
 * The job over an object of the object store (the app's reference copy), read straight off the
 * socket into the scanner (ObjectStore.readObject), in ranges of `opts.rangeBytes` if set. ET
 * runs from sending the first request to the result. `opts.timeoutMs` and `opts.signal` abort
 * the read and reject with JobAbortedError.
 */
export async function runJobOnObject(objects: ObjectStore, bucket: string, key: string, opts: ObjectJobOptions = {}): Promise<JobResult> {
  const { rangeBytes, signal, timeoutMs } = opts;
  let timer: NodeJS.Timeout | undefined;
  let timeout: AbortController | undefined;
  if (timeoutMs !== undefined && timeoutMs > 0) {
    timeout = new AbortController();
    const t = timeout;
    timer = setTimeout(() => t.abort(new JobAbortedError(`job timed out after ${timeoutMs} ms reading ${bucket}/${key}`, true)), timeoutMs);
  }
  const combined = signal && timeout ? AbortSignal.any([signal, timeout.signal]) : (signal ?? timeout?.signal);
  try {
    // readObject already turns a missing object or bucket and an unreachable server into FogsimErrors
    return await runJobFrom((sink, started) => objects.readObject(bucket, key, sink, { rangeBytes, signal: combined, onFirstRequest: started }), opts);
  } catch (e) {
    if (timeout?.signal.aborted) throw new JobAbortedError(`job timed out after ${timeoutMs} ms reading ${bucket}/${key}`, true, { cause: e });
    if (signal?.aborted) throw new JobAbortedError(`job aborted while reading ${bucket}/${key}`, false, { cause: e });
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
