/**
 * Where a workload's messages come from. A source hands out the next `n` messages on demand; the
 * producer runner (stream/workload/producer.ts) paces them to the target rate. The blood tests
 * (stream/workload/sources.ts) are one; a CSV or a user's cadCAD module (stream/workload/cadcad.ts)
 * plug in behind the same interface.
 */
import type { StreamMessage } from '../bus.js';

export interface MessageSource {
  /** the next n messages, stamped with nowMs (the record time e2e latency counts from) */
  next(n: number, nowMs: number): StreamMessage[];
  close?(): Promise<void> | void;
}
