/**
 * What every toxic of the embedded Toxiproxy-compatible server shares: the JSON shape of a toxic,
 * the definition each toxic file exports (its attributes and its stage), attribute parsing (what
 * Toxiproxy v2 accepts, with a clear 400 otherwise), the stage base classes that apply a toxic
 * to the bytes of one direction of one connection, and the Timer for waits of any length.
 */
import { ApiError } from '../errors.js';

export type Stream = 'upstream' | 'downstream';

/** A toxic as the API shows it (same field order as Toxiproxy's JSON). */
export interface ToxicSpec {
  attributes: Record<string, number>;
  name: string;
  type: string;
  /** as the client spelled it: Toxiproxy keeps `UPSTREAM` and parses the direction case-blind */
  stream: string;
  toxicity: number;
}

/** The direction a toxic acts on (its stream text was checked when it was created). */
export function directionOf(spec: ToxicSpec): Stream {
  return spec.stream.toLowerCase() === 'upstream' ? 'upstream' : 'downstream';
}

/**
 * How Go's encoding/json names a JSON value it cannot put in a field: a number that does not fit
 * a numeric field comes with its literal ("number 1.5"); JSON.parse has made 1e400 Infinity, so that is shown.
 */
function goKind(v: unknown, intoNumber: boolean): string {
  if (typeof v === 'number') return intoNumber ? `number ${String(v)}` : 'number';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v; // string, boolean -> Go says bool
}

/**
 * Go's decoder error for a value of the wrong JSON type, as Toxiproxy passes it on (probed on 2.12):
 * `bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64`.
 */
export function goTypeError(v: unknown, field: string, goType: string): ApiError {
  const kind = goKind(v, /^(int|float)/.test(goType)).replace(/^boolean$/, 'bool');
  return new ApiError(`bad request body: json: cannot unmarshal ${kind} into Go struct field ${field} of type ${goType}`, 400);
}

/** One attribute of a toxic: a non-negative integer, with an optional upper bound. */
export interface AttributeRule {
  /** the Go type of the field in Toxiproxy's toxic struct, named in a type error (default int64) */
  goType?: 'int' | 'int64';
  max?: number;
  /** named in the error for a value above `max` */
  unit?: string;
}

/** A toxic type: what toxics/<type>.ts exports and the registry looks up by type name. */
export interface ToxicDefinition {
  /** the type name of the API (`latency`, `slow_close`, ...) */
  readonly type: string;
  /** the Go struct of Toxiproxy's toxic (`LatencyToxic`), named in its decoder's type errors */
  readonly goName: string;
  /** attribute names as Toxiproxy's JSON tags name them, in its order, with their bounds */
  readonly attributes: Readonly<Record<string, AttributeRule>>;
  /** the stage applying one toxic of this type to one direction of one connection */
  createStage(spec: ToxicSpec, next: Sink, host: StageHost): Stage;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses attributes over `base` (unknown keys ignored and null a no-op, as Go's json decoder does).
 * `goName` is the toxic's Go struct, for type errors worded as Toxiproxy's.
 */
export function parseAttributes(rules: Readonly<Record<string, AttributeRule>>, raw: unknown, base: Record<string, number>, goName = 'Toxic'): Record<string, number> {
  const out: Record<string, number> = { ...base };
  if (raw === undefined || raw === null) return out;
  if (!isObject(raw)) throw new ApiError(`bad request body: attributes must be an object`, 400);
  for (const [key, rule] of Object.entries(rules)) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw goTypeError(v, `${goName}.attributes.${key}`, rule.goType ?? 'int64');
    if (v < 0) throw new ApiError(`bad request body: attributes.${key} must be >= 0, got ${v}`, 400);
    if (rule.max !== undefined && v > rule.max) {
      throw new ApiError(`bad request body: attributes.${key} must be <= ${rule.max}${rule.unit ? ` (${rule.unit})` : ''}, got ${v}`, 400);
    }
    out[key] = v;
  }
  return out;
}

/** `field` names the toxicity in a type error: ToxicWrapper.toxicity on create, .toxicity on update (Toxiproxy's structs). */
export function parseToxicity(raw: unknown, fallback: number, field = 'ToxicWrapper.toxicity'): number {
  if (raw === undefined || raw === null) return fallback;
  // Toxiproxy 2.12 stores any number (probed: -1, 1.5, 2 answer 200): below 0 never applies, above 1 always does
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw goTypeError(raw, field, 'float32');
  return raw;
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
export abstract class TimedQueueStage extends Stage {
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
