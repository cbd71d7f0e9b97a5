import { describeStep, type TimedStep } from '../../model/steps.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { errorText } from '../../model/errors.js';
import type { Operations } from '../operations.js';

/*
 * Applies a run's timeline (model/timeline.ts expandTimeline: the scenario's steps, its trace and
 * its dynamics) at each step's time from the session's start, through the operations the admin UI
 * uses (controller/operations.ts), one after the other. Each step is recorded with the time it was
 * applied (source `timeline`), also one that could not be (with its error). Started by the session
 * (fogsim up and run), stopped with it.
 */

export interface TimelineSchedulerOptions {
  steps: readonly TimedStep[];
  operations: Operations;
  /** epoch ms of the run's start: a step at `at` s is due at startedAtMs + at * 1000 */
  startedAtMs: number;
  clock?: Clock;
  /** one line per step applied (the dynamics' latency walk excepted: too many) */
  log?: (line: string) => void;
}

export class TimelineScheduler {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private next = 0;
  private lastAtMs: number | null = null;
  private readonly clock: Clock;

  constructor(private readonly o: TimelineSchedulerOptions) {
    this.clock = o.clock ?? systemClock;
  }

  /** Starts applying (once); a step already due is applied at once. */
  start(): void {
    this.running ??= this.loop();
  }

  /** Steps not applied yet. */
  get pending(): number {
    return this.o.steps.length - this.next;
  }

  /** When the last step was applied (epoch ms), null before the first. */
  get lastAppliedAtMs(): number | null {
    return this.lastAtMs;
  }

  /** Resolves once every step has been applied, or the scheduler stopped. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async loop(): Promise<void> {
    const { steps, operations, startedAtMs } = this.o;
    const signal = this.stopping.signal;
    while (this.next < steps.length && !signal.aborted) {
      const t = steps[this.next];
      const wait = startedAtMs + t.at * 1000 - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait, signal);
      if (signal.aborted) return;
      const what = `${t.at} s: ${describeStep(t.do)} (${t.origin})`;
      try {
        await operations.apply(t.do, 'timeline', { recordRejected: true });
        if (t.origin !== 'dynamics.latencyWalk') this.o.log?.(`timeline: ${what}`);
      } catch (e) {
        this.o.log?.(`timeline: ${what} could not be applied: ${errorText(e)}`);
      }
      this.lastAtMs = this.clock.now();
      this.next++;
    }
  }

  /** Stops: no step is applied after this resolves (the one being applied finishes first). */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }
}
