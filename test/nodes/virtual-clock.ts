import type { Clock } from '../../util/clock.js';

/**
 * Fake time shared by several loops: sleep() parks the caller; once every participant is
 * parked, time jumps to the earliest wake-up and exactly that sleeper resumes. The loops thus
 * run one at a time in virtual-time order, which makes a multi-loop run reproducible, while
 * everything between two sleeps (jobs, proxies, store) runs for real.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly parked: { at: number; seq: number; wake: () => void }[] = [];
  private advancing = false;

  constructor(
    startMs: number,
    private participants: number,
    /** runs before each jump in time, with the time about to be reached (e.g. to stop the loops) */
    private readonly beforeAdvance?: (nextMs: number) => Promise<void> | void,
  ) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  /** A loop has ended: it will not sleep again. */
  leave(): void {
    this.participants--;
    void this.maybeAdvance();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = () => {
        const i = this.parked.indexOf(entry);
        if (i >= 0) this.parked.splice(i, 1);
        resolve();
      };
      const entry = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.parked.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.maybeAdvance();
    });
  }

  private async maybeAdvance(): Promise<void> {
    if (this.advancing || this.parked.length === 0 || this.parked.length < this.participants) return;
    this.advancing = true;
    try {
      this.parked.sort((a, b) => a.at - b.at || a.seq - b.seq);
      await this.beforeAdvance?.(this.parked[0].at);
      const next = this.parked.shift();
      if (!next) return; // aborted meanwhile
      this.t = Math.max(this.t, next.at);
      next.wake();
    } finally {
      this.advancing = false;
    }
  }
}
