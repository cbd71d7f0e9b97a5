/** timeout: no data passes; the connection closes after `timeout` ms (Toxiproxy's toxics/timeout.go). */
import { Stage, Timer, type Sink, type StageHost, type ToxicDefinition, type ToxicSpec } from './common.js';

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

export const timeout: ToxicDefinition = {
  type: 'timeout',
  goName: 'TimeoutToxic',
  attributes: { timeout: {} },
  createStage: (spec, next, host) => new TimeoutStage(spec, next, host),
};
