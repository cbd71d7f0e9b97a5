/**
 * Toxic definitions for the embedded Toxiproxy-compatible server: the JSON shape, attribute
 * decoding (what Toxiproxy v2 accepts, with a clear 400 otherwise) and the per-connection
 * stages that apply a toxic to the bytes of one direction of one connection.
 */
import { MAX_LATENCY_MS } from '../../model/limits.js';
import { ApiError } from './errors.js';

export type Stream = 'upstream' | 'downstream';

/** Attribute names (all integers) per toxic type, as Toxiproxy's JSON tags name them. */
export const TOXIC_ATTRIBUTES: Record<string, readonly string[]> = {
  latency: ['latency', 'jitter'],
  bandwidth: ['rate'],
  timeout: ['timeout'],
  reset_peer: ['timeout'],
  slow_close: ['delay'],
  limit_data: ['bytes'],
};

/**
 * Upper bounds per toxic type and attribute (ms). A latency beyond fogsim's bound on link latency
 * would only stall every request for good; other attributes take any integer, and the timers
 * below cope with any of them.
 */
export const ATTRIBUTE_MAX: Record<string, Record<string, number>> = {
  latency: { latency: MAX_LATENCY_MS, jitter: MAX_LATENCY_MS },
};

/** A toxic as the API shows it (same field order as Toxiproxy's JSON). */
export interface ToxicSpec {
  attributes: Record<string, number>;
  name: string;
  type: string;
  stream: Stream;
  toxicity: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes attributes over `base` (unknown keys ignored, as Go's json decoder does). */
export function decodeAttributes(type: string, raw: unknown, base: Record<string, number>): Record<string, number> {
  const names = TOXIC_ATTRIBUTES[type] ?? [];
  const out: Record<string, number> = { ...base };
  if (raw === undefined || raw === null) return out;
  if (!isObject(raw)) throw new ApiError(`bad request body: attributes must be an object`, 400);
  for (const key of names) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      // String(): JSON.parse reads 1e400 as Infinity, which JSON.stringify would show as null
      throw new ApiError(`bad request body: attributes.${key} must be an integer, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`, 400);
    }
    if (v < 0) throw new ApiError(`bad request body: attributes.${key} must be >= 0, got ${v}`, 400);
    const max = ATTRIBUTE_MAX[type]?.[key];
    if (max !== undefined && v > max) throw new ApiError(`bad request body: attributes.${key} must be <= ${max} (ms), got ${v}`, 400);
    out[key] = v;
  }
  return out;
}

export function decodeToxicity(raw: unknown, fallback: number): number {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0 || raw > 1) {
    throw new ApiError(`bad request body: toxicity must be a number from 0 to 1, got ${JSON.stringify(raw)}`, 400);
  }
  return raw;
}

/** Builds a new toxic from a POST /toxics body, with Toxiproxy's defaults and error messages. */
export function decodeNewToxic(body: unknown): ToxicSpec {
  if (!isObject(body)) throw new ApiError('bad request body: expected a JSON object', 400);
  const streamRaw = body.stream ?? 'downstream';
  if (typeof streamRaw !== 'string' || !['upstream', 'downstream'].includes(streamRaw.toLowerCase())) {
    throw new ApiError('stream was invalid, can be either upstream or downstream', 400);
  }
  const stream = streamRaw.toLowerCase() as Stream;
  const type = body.type;
  if (typeof type !== 'string' || !(type in TOXIC_ATTRIBUTES)) throw new ApiError('invalid toxic type', 400);
  if (body.name !== undefined && typeof body.name !== 'string') throw new ApiError('bad request body: name must be a string', 400);
  const name = body.name || `${type}_${streamRaw}`;
  const zero = Object.fromEntries(TOXIC_ATTRIBUTES[type]!.map((k) => [k, 0]));
  return {
    attributes: decodeAttributes(type, body.attributes, zero),
    name,
    type,
    stream,
    toxicity: decodeToxicity(body.toxicity, 1),
  };
}

// ---------------------------------------------------------------------------------------------
// Data path

/** Where a stage sends its bytes: the next stage or the destination socket. */
export interface Sink {
  write(chunk: Buffer, ts: number): void;
  end(): void;
}

/** What a stage may ask of its connection. */
export interface StageHost {
  /** bytes held in stage queues changed by `delta` (drives back-pressure on the source) */
  queued(delta: number): void;
  /** close the whole connection, like Toxiproxy closing the link's output */
  close(): void;
  /** close the whole connection with TCP RST (reset_peer) */
  reset(): void;
}

export const now = (): number => performance.now();

/** setTimeout's longest delay: above it Node fires after 1 ms (with a TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A one-shot timer for any delay: waits longer than MAX_TIMER_MS are chained, never handed to
 * setTimeout (which would fire at once). NaN and negative delays fire on the next tick; Infinity never.
 */
export class Timer {
  private t: NodeJS.Timeout | undefined;
  get armed(): boolean {
    return this.t !== undefined;
  }
  set(ms: number, fn: () => void): void {
    this.clear();
    const arm = (left: number) => {
      if (left > MAX_TIMER_MS) {
        this.t = setTimeout(() => arm(left - MAX_TIMER_MS), MAX_TIMER_MS);
        return;
      }
      this.t = setTimeout(() => {
        this.t = undefined;
        fn();
      }, left > 0 ? left : 0);
    };
    arm(Number.isNaN(ms) ? 0 : ms);
  }
  clear(): void {
    if (this.t) clearTimeout(this.t);
    this.t = undefined;
  }
}

/**
 * One toxic applied to one direction of one connection. `active` is drawn from the toxicity
 * once per connection (and again on update), as Toxiproxy does per link.
 */
export abstract class Stage implements Sink {
  active = true;
  constructor(
    public spec: ToxicSpec,
    public next: Sink,
    protected host: StageHost,
  ) {
    this.roll();
  }
  protected roll(): void {
    this.active = this.spec.toxicity >= 1 || Math.random() < this.spec.toxicity;
  }
  abstract write(chunk: Buffer, ts: number): void;
  end(): void {
    this.next.end();
  }
  /** attributes or toxicity changed on the API */
  update(spec: ToxicSpec): void {
    this.spec = spec;
    this.roll();
  }
  /** the toxic is being removed: hand everything held to `next` now */
  detach(): void {}
  /** the connection is gone: stop timers */
  dispose(): void {}
}

/** Timed FIFO: each chunk leaves at its own due time, in order; one timer for the head only. */
abstract class TimedQueueStage extends Stage {
  private q: { chunk: Buffer; due: number }[] = [];
  private head = 0;
  private readonly timer = new Timer();
  private ending = false;

  protected enqueue(chunk: Buffer, due: number): void {
    if (this.q.length === this.head && due <= now()) {
      this.next.write(chunk, due);
      return;
    }
    this.q.push({ chunk, due });
    this.host.queued(chunk.length);
    if (this.q.length - this.head === 1) this.schedule();
  }
  protected get pending(): number {
    return this.q.length - this.head;
  }
  protected retime(f: (item: { chunk: Buffer; due: number }) => number): void {
    for (let i = this.head; i < this.q.length; i++) this.q[i]!.due = f(this.q[i]!);
    this.schedule();
  }
  private schedule(): void {
    this.timer.clear();
    if (this.pending === 0) return;
    const wait = this.q[this.head]!.due - now();
    this.timer.set(Math.ceil(wait), () => this.drain());
  }
  private drain(): void {
    // half a millisecond of slack: setTimeout has millisecond resolution
    const t = now() + 0.5;
    while (this.head < this.q.length && this.q[this.head]!.due <= t) {
      const item = this.q[this.head++]!;
      this.host.queued(-item.chunk.length);
      this.next.write(item.chunk, item.due);
    }
    if (this.head === this.q.length) {
      this.q = [];
      this.head = 0;
      if (this.ending) this.next.end();
    } else {
      if (this.head > 1024) {
        this.q = this.q.slice(this.head);
        this.head = 0;
      }
      this.schedule();
    }
  }
  override end(): void {
    if (this.pending === 0) this.next.end();
    else this.ending = true;
  }
  override detach(): void {
    this.timer.clear();
    for (let i = this.head; i < this.q.length; i++) {
      this.host.queued(-this.q[i]!.chunk.length);
      this.next.write(this.q[i]!.chunk, this.q[i]!.due);
    }
    this.q = [];
    this.head = 0;
    if (this.ending) this.next.end();
  }
  override dispose(): void {
    this.timer.clear();
    this.q = [];
    this.head = 0;
  }
}

/** Each chunk leaves `latency ± jitter` ms after it arrived: pipelined, so a request pays it once. */
export class LatencyStage extends TimedQueueStage {
  private delay(): number {
    const { latency = 0, jitter = 0 } = this.spec.attributes;
    return jitter > 0 ? latency + Math.floor(Math.random() * 2 * jitter) - jitter : latency;
  }
  write(chunk: Buffer, ts: number): void {
    if (!this.active) return this.next.write(chunk, ts);
    const d = this.delay();
    // zero latency with nothing queued: straight through, no timer on the hot path
    if (d <= 0 && this.pending === 0) return this.next.write(chunk, ts);
    this.enqueue(chunk, ts + d);
  }
  override update(spec: ToxicSpec): void {
    const old = this.spec.attributes.latency ?? 0;
    super.update(spec);
    // queued chunks now wait for the new latency from their arrival, as in Toxiproxy after an update
    this.retime((it) => it.due - old + (this.active ? this.delay() : 0));
  }
}

/** Paces bytes at `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy counts), in slices of 100 ms. */
export class BandwidthStage extends TimedQueueStage {
  private free = 0;
  write(chunk: Buffer, ts: number): void {
    const rate = this.spec.attributes.rate ?? 0;
    if (!this.active || rate <= 0) {
      if (this.pending === 0) return this.next.write(chunk, ts);
      return this.enqueue(chunk, 0);
    }
    const slice = rate * 100; // bytes per 100 ms
    let t = Math.max(now(), this.free);
    for (let off = 0; off < chunk.length; off += slice) {
      const part = chunk.subarray(off, Math.min(chunk.length, off + slice));
      t += part.length / rate;
      this.enqueue(part, t);
    }
    this.free = t;
  }
}

/** Stops all data; closes the connection after `timeout` ms (0 = never, until the toxic goes). */
export class TimeoutStage extends Stage {
  private readonly timer = new Timer();
  constructor(spec: ToxicSpec, next: Sink, host: StageHost) {
    super(spec, next, host);
    this.arm();
  }
  private arm(): void {
    this.timer.clear();
    const t = this.spec.attributes.timeout ?? 0;
    if (this.active && t > 0) this.timer.set(t, () => this.host.close());
  }
  write(chunk: Buffer, ts: number): void {
    if (!this.active) this.next.write(chunk, ts);
    // else: dropped, as Toxiproxy's timeout toxic swallows the data
  }
  override update(spec: ToxicSpec): void {
    super.update(spec);
    this.arm();
  }
  override detach(): void {
    this.dispose();
    // Toxiproxy closes the link when a timeout toxic is removed (its Cleanup)
    if (this.active) this.host.close();
  }
  override dispose(): void {
    this.timer.clear();
  }
}

/** On the first data, drops it and resets the connection (RST) after `timeout` ms. */
export class ResetPeerStage extends Stage {
  private readonly timer = new Timer();
  private started = false;
  write(chunk: Buffer, ts: number): void {
    if (!this.active) return this.next.write(chunk, ts);
    if (!this.started) {
      this.started = true;
      this.timer.set(this.spec.attributes.timeout ?? 0, () => this.host.reset());
    }
  }
  override end(): void {
    if (this.active && !this.started) this.host.reset();
    else if (!this.active) this.next.end();
  }
  override dispose(): void {
    this.timer.clear();
  }
}

/** Delays the close by `delay` ms. */
export class SlowCloseStage extends Stage {
  private readonly timer = new Timer();
  write(chunk: Buffer, ts: number): void {
    this.next.write(chunk, ts);
  }
  override end(): void {
    if (!this.active) return this.next.end();
    this.timer.set(this.spec.attributes.delay ?? 0, () => this.next.end());
  }
  override dispose(): void {
    this.timer.clear();
  }
}

/** Closes the connection once `bytes` bytes went through. */
export class LimitDataStage extends Stage {
  private sent = 0;
  write(chunk: Buffer, ts: number): void {
    if (!this.active) return this.next.write(chunk, ts);
    const left = (this.spec.attributes.bytes ?? 0) - this.sent;
    if (left > 0) {
      const part = left < chunk.length ? chunk.subarray(0, left) : chunk;
      this.sent += part.length;
      this.next.write(part, ts);
    }
    if ((this.spec.attributes.bytes ?? 0) - this.sent <= 0) this.host.close();
  }
}

export function createStage(spec: ToxicSpec, next: Sink, host: StageHost): Stage {
  switch (spec.type) {
    case 'latency':
      return new LatencyStage(spec, next, host);
    case 'bandwidth':
      return new BandwidthStage(spec, next, host);
    case 'timeout':
      return new TimeoutStage(spec, next, host);
    case 'reset_peer':
      return new ResetPeerStage(spec, next, host);
    case 'slow_close':
      return new SlowCloseStage(spec, next, host);
    case 'limit_data':
      return new LimitDataStage(spec, next, host);
    default:
      throw new Error(`no stage for toxic type ${spec.type}`);
  }
}
