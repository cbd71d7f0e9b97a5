/** bandwidth: bytes paced at `rate` KB/s (Toxiproxy's toxics/bandwidth.go). */
import { now, TimedQueueStage, type ToxicDefinition } from './common.js';

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

export const bandwidth: ToxicDefinition = {
  type: 'bandwidth',
  goName: 'BandwidthToxic',
  attributes: { rate: {} },
  createStage: (spec, next, host) => new BandwidthStage(spec, next, host),
};
