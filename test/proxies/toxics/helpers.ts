/** A stage under test on its own: a recording sink and host, specs, fake time and a timer probe. */
import { vi } from 'vitest';
import type { Sink, Stage, StageHost, ToxicSpec } from '../../../proxies/server/toxics/common.js';
import { sleep } from '../helpers.js';

export const spec = (type: string, attributes: Record<string, number>, toxicity = 1): ToxicSpec => ({ type, name: type, stream: 'downstream', toxicity, attributes });

/** What reached the next stage (text and the ts handed with it) and what was asked of the connection. */
export interface Recorder {
  sink: Sink;
  host: StageHost;
  text(): string;
  writes: { text: string; ts: number }[];
  ended: boolean;
  closed: number;
  resets: number;
  queued: number;
}

export function recorder(): Recorder {
  const r: Recorder = {
    writes: [],
    ended: false,
    closed: 0,
    resets: 0,
    queued: 0,
    text: () => r.writes.map((w) => w.text).join(''),
    sink: { write: (c, ts) => void r.writes.push({ text: c.toString('latin1'), ts }), end: () => void (r.ended = true) },
    host: { queued: (d) => void (r.queued += d), close: () => void r.closed++, reset: () => void r.resets++ },
  };
  return r;
}

/** setTimeout and performance.now under vitest's control (stages read the clock through performance.now). */
export function fakeTime(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
}

/**
 * Runs `act` against real timers for 150 ms and reports every setTimeout delay it asked for and any
 * TimeoutOverflowWarning: a delay above 2^31-1 ms would fire after 1 ms and be re-armed in a loop.
 */
export async function timersFor(act: (r: Recorder) => Stage): Promise<{ delays: number[]; overflows: number; r: Recorder }> {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  const spy = vi.spyOn(globalThis, 'setTimeout');
  const r = recorder();
  try {
    const stage = act(r);
    await sleep(150);
    stage.dispose();
    return { delays: spy.mock.calls.map((c) => c[1] ?? 0), overflows: warnings.filter((w) => w.name === 'TimeoutOverflowWarning').length, r };
  } finally {
    spy.mockRestore();
    process.off('warning', onWarning);
  }
}
