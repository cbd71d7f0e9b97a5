/** The slow_close toxic: data passes; the close is delayed by `delay` ms. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS } from '../../../proxies/server/toxics/common.js';
import { SlowCloseStage } from '../../../proxies/server/toxics/slow_close.js';
import { fakeTime, recorder, spec, timersFor } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('slow_close: stage', () => {
  it('passes the data at once and the end after the delay', () => {
    fakeTime();
    const r = recorder();
    const s = new SlowCloseStage(spec('slow_close', { delay: 100 }), r.sink, r.host);
    s.write(Buffer.from('x'), 7);
    expect(r.writes).toEqual([{ text: 'x', ts: 7 }]);
    s.end();
    vi.advanceTimersByTime(99);
    expect(r.ended).toBe(false);
    vi.advanceTimersByTime(1);
    expect(r.ended).toBe(true);
  });

  it('toxicity 0 passes the end at once', () => {
    const r = recorder();
    new SlowCloseStage(spec('slow_close', { delay: 100 }, 0), r.sink, r.host).end();
    expect(r.ended).toBe(true);
  });

  it('a delay of 3,000,000,000 ms arms one timer, not a 1 ms one in a loop', async () => {
    const { delays, overflows, r } = await timersFor((r) => {
      const s = new SlowCloseStage(spec('slow_close', { delay: 3_000_000_000 }), r.sink, r.host);
      s.end();
      return s;
    });
    expect(r.ended).toBe(false);
    expect(delays.filter((d) => d > MAX_TIMER_MS)).toEqual([]);
    expect(delays.filter((d) => d === MAX_TIMER_MS)).toHaveLength(1);
    expect(overflows).toBe(0);
  });
});
