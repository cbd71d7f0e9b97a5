/** latency: every chunk is held `latency ± jitter` ms (Toxiproxy's toxics/latency.go). */
import { MAX_LATENCY_MS } from '../../../model/limits.js';
import { TimedQueueStage, type ToxicDefinition, type ToxicSpec } from './common.js';

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

/**
 * A latency beyond fogsim's bound on link latency would only stall every request for good, so
 * both attributes are bounded by it.
 */
export const latency: ToxicDefinition = {
  type: 'latency',
  goName: 'LatencyToxic',
  attributes: { latency: { max: MAX_LATENCY_MS, unit: 'ms' }, jitter: { max: MAX_LATENCY_MS, unit: 'ms' } },
  createStage: (spec, next, host) => new LatencyStage(spec, next, host),
};
