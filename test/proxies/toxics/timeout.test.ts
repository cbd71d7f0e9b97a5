/** The timeout toxic: no data gets through; the connection closes after `timeout` ms (0 = never). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS } from '../../../proxies/server/toxics/common.js';
import { TimeoutStage } from '../../../proxies/server/toxics/timeout.js';
import { fakeTime, recorder, spec, timersFor } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('timeout: stage', () => {
  it('swallows the data and closes the connection after the timeout', () => {
    fakeTime();
    const r = recorder();
    const s = new TimeoutStage(spec('timeout', { timeout: 100 }), r.sink, r.host);
    s.write(Buffer.from('x'), performance.now());
    vi.advanceTimersByTime(99);
    expect(r.closed).toBe(0);
    vi.advanceTimersByTime(1);
    expect(r.closed).toBe(1);
    expect(r.writes).toEqual([]);
  });

  it('timeout 0 holds the connection until the toxic is removed, which closes it', () => {
    fakeTime();
    const r = recorder();
    const s = new TimeoutStage(spec('timeout', { timeout: 0 }), r.sink, r.host);
    vi.advanceTimersByTime(1_000_000);
    expect(r.closed).toBe(0);
    s.detach();
    expect(r.closed).toBe(1);
  });

  it('an update re-arms the timer with the new timeout', () => {
    fakeTime();
    const r = recorder();
    const s = new TimeoutStage(spec('timeout', { timeout: 1000 }), r.sink, r.host);
    s.update(spec('timeout', { timeout: 10 }));
    vi.advanceTimersByTime(10);
    expect(r.closed).toBe(1);
  });

  it('toxicity 0 passes the data and never closes', () => {
    fakeTime();
    const r = recorder();
    const s = new TimeoutStage(spec('timeout', { timeout: 10 }, 0), r.sink, r.host);
    s.write(Buffer.from('x'), 1);
    vi.advanceTimersByTime(100);
    s.detach();
    expect(r.text()).toBe('x');
    expect(r.closed).toBe(0);
  });

  it('a timeout of 3,000,000,000 ms arms one timer, not a 1 ms one in a loop', async () => {
    const { delays, overflows, r } = await timersFor((r) => new TimeoutStage(spec('timeout', { timeout: 3_000_000_000 }), r.sink, r.host));
    expect(r.closed).toBe(0);
    expect(delays.filter((d) => d > MAX_TIMER_MS)).toEqual([]);
    expect(delays.filter((d) => d === MAX_TIMER_MS)).toHaveLength(1);
    expect(overflows).toBe(0);
  });
});
