/** reset_peer: the connection is reset (TCP RST) `timeout` ms after data first flows (Toxiproxy's toxics/reset_peer.go). */
import { Stage, Timer, type ToxicDefinition } from './common.js';

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

export const resetPeer: ToxicDefinition = {
  type: 'reset_peer',
  goName: 'ResetToxic',
  attributes: { timeout: {} },
  createStage: (spec, next, host) => new ResetPeerStage(spec, next, host),
};
