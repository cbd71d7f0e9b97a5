/** The bandwidth toxic: bytes paced at `rate` KB/s (1 KB = 1000 bytes), in 100 ms slices. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BandwidthStage } from '../../../proxies/server/toxics/bandwidth.js';
import { fakeTime, recorder, spec } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('bandwidth: stage', () => {
  it('sends 2,500 bytes at 10 KB/s as 1,000 + 1,000 + 500 bytes over 250 ms', () => {
    fakeTime();
    const r = recorder();
    const s = new BandwidthStage(spec('bandwidth', { rate: 10 }), r.sink, r.host);
    s.write(Buffer.alloc(2500, 'x'), performance.now());
    s.end();
    expect(r.queued).toBe(2500);
    const sizes = () => r.writes.map((w) => w.text.length);
    vi.advanceTimersByTime(99);
    expect(sizes()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sizes()).toEqual([1000]);
    vi.advanceTimersByTime(100);
    expect(sizes()).toEqual([1000, 1000]);
    expect(r.ended).toBe(false);
    vi.advanceTimersByTime(50);
    expect(sizes()).toEqual([1000, 1000, 500]);
    expect(r.ended).toBe(true);
    expect(r.queued).toBe(0);
  });

  it('a second write waits for the first: the rate holds across chunks', () => {
    fakeTime();
    const r = recorder();
    const s = new BandwidthStage(spec('bandwidth', { rate: 10 }), r.sink, r.host);
    s.write(Buffer.alloc(1000, 'a'), performance.now());
    s.write(Buffer.alloc(1000, 'b'), performance.now());
    vi.advanceTimersByTime(100);
    expect(r.text()).toBe('a'.repeat(1000));
    vi.advanceTimersByTime(100);
    expect(r.text()).toBe('a'.repeat(1000) + 'b'.repeat(1000));
  });

  it('rate 0 or toxicity 0 leaves the bytes alone', () => {
    for (const s of [spec('bandwidth', { rate: 0 }), spec('bandwidth', { rate: 10 }, 0)]) {
      const r = recorder();
      new BandwidthStage(s, r.sink, r.host).write(Buffer.alloc(5000, 'x'), 1);
      expect(r.writes).toEqual([{ text: 'x'.repeat(5000), ts: 1 }]);
    }
  });
});
