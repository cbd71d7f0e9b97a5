/** slow_close: the close is delayed by `delay` ms (Toxiproxy's toxics/slow_close.go). */
import { Stage, Timer, type ToxicDefinition } from './common.js';

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

export const slowClose: ToxicDefinition = {
  type: 'slow_close',
  goName: 'SlowCloseToxic',
  attributes: { delay: {} },
  createStage: (spec, next, host) => new SlowCloseStage(spec, next, host),
};
