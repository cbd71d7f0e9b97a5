/** limit_data: the connection closes once `bytes` bytes went through (Toxiproxy's toxics/limit_data.go). */
import { Stage, type ToxicDefinition } from './common.js';

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

export const limitData: ToxicDefinition = {
  type: 'limit_data',
  goName: 'LimitDataToxic',
  attributes: { bytes: {} },
  createStage: (spec, next, host) => new LimitDataStage(spec, next, host),
};
