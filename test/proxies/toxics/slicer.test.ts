/** The slicer toxic: chunks cut into pieces of about average_size bytes, delay microseconds apart. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SlicerStage } from '../../../proxies/server/toxics/slicer.js';
import { decodeNewToxic } from '../../../proxies/server/toxics/registry.js';
import { fakeTime, recorder, spec } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('slicer: stage', () => {
  it('cuts 1,000 bytes into 8 pieces of 125 without variation, 10 ms apart, in order', () => {
    fakeTime();
    const r = recorder();
    const s = new SlicerStage(spec('slicer', { average_size: 125, size_variation: 0, delay: 10_000 }), r.sink, r.host);
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''));
    s.write(data, performance.now());
    s.end();
    const sizes = () => r.writes.map((w) => w.text.length);
    expect(sizes()).toEqual([125]);
    vi.advanceTimersByTime(10);
    expect(sizes()).toEqual([125, 125]);
    expect(r.ended).toBe(false);
    vi.advanceTimersByTime(60);
    expect(sizes()).toEqual(Array(8).fill(125));
    expect(r.text()).toBe(data.toString());
    expect(r.ended).toBe(true);
  });

  it('with a variation every piece stays within it of the average, and nothing is lost', () => {
    fakeTime();
    const r = recorder();
    const s = new SlicerStage(spec('slicer', { average_size: 100, size_variation: 30, delay: 0 }), r.sink, r.host);
    s.write(Buffer.alloc(10_000, 'z'), performance.now());
    vi.advanceTimersByTime(1);
    const sizes = r.writes.map((w) => w.text.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(sizes.length).toBeGreaterThan(40);
    for (const n of sizes) expect(n).toBeLessThanOrEqual(130);
  });

  it('average_size 0 or toxicity 0 leaves the bytes alone', () => {
    for (const sp of [spec('slicer', { average_size: 0, size_variation: 0, delay: 10 }), spec('slicer', { average_size: 10, size_variation: 0, delay: 10 }, 0)]) {
      const r = recorder();
      new SlicerStage(sp, r.sink, r.host).write(Buffer.alloc(500, 'x'), 1);
      expect(r.writes).toEqual([{ text: 'x'.repeat(500), ts: 1 }]);
    }
  });

  it('the API takes it with Toxiproxy\'s attribute names', () => {
    expect(decodeNewToxic({ type: 'slicer', attributes: { average_size: 64, size_variation: 8, delay: 100 } })).toMatchObject({ name: 'slicer_downstream', type: 'slicer', attributes: { average_size: 64, size_variation: 8, delay: 100 } });
  });
});
