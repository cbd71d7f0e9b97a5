/**
 * slicer: each chunk cut into pieces of about `average_size` bytes (± `size_variation`), `delay`
 * microseconds apart (Toxiproxy's toxics/slicer.go): it halves a chunk, the cut moved at random by
 * up to the variation, until every piece is within the variation of the average.
 */
import { now, TimedQueueStage, type ToxicDefinition } from './common.js';

export class SlicerStage extends TimedQueueStage {
  private free = 0;

  /** The cut points of [start, end), start and end included. */
  private cuts(start: number, end: number, out: number[]): void {
    const { average_size: avg = 0, size_variation: variation = 0 } = this.spec.attributes;
    if (end - start - avg <= variation) {
      out.push(end);
      return;
    }
    let mid = start + Math.floor((end - start) / 2);
    if (variation > 0) mid += Math.floor(Math.random() * 2 * variation) - variation;
    mid = Math.min(end - 1, Math.max(start + 1, mid));
    this.cuts(start, mid, out);
    this.cuts(mid, end, out);
  }

  write(chunk: Buffer, ts: number): void {
    const avg = this.spec.attributes.average_size ?? 0;
    if (!this.active || avg <= 0 || chunk.length <= 1) {
      if (this.pending === 0) return this.next.write(chunk, ts);
      return this.enqueue(chunk, Math.max(ts, this.free));
    }
    const delayMs = (this.spec.attributes.delay ?? 0) / 1000;
    const ends: number[] = [];
    this.cuts(0, chunk.length, ends);
    let t = Math.max(now(), this.free);
    let from = 0;
    for (const to of ends) {
      this.enqueue(chunk.subarray(from, to), t);
      t += delayMs;
      from = to;
    }
    this.free = t;
  }
}

export const slicer: ToxicDefinition = {
  type: 'slicer',
  goName: 'SlicerToxic',
  attributes: { average_size: { goType: 'int' }, size_variation: { goType: 'int' }, delay: { unit: 'us', goType: 'int' } },
  createStage: (spec, next, host) => new SlicerStage(spec, next, host),
};
