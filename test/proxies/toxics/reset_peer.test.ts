/** The reset_peer toxic: once data flows, it is dropped and the connection reset (RST) after `timeout` ms. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResetPeerStage } from '../../../proxies/server/toxics/reset_peer.js';
import { fakeTime, recorder, spec } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('reset_peer: stage', () => {
  it('drops the data and resets the connection timeout ms after the first chunk', () => {
    fakeTime();
    const r = recorder();
    const s = new ResetPeerStage(spec('reset_peer', { timeout: 100 }), r.sink, r.host);
    vi.advanceTimersByTime(500);
    expect(r.resets).toBe(0);
    s.write(Buffer.from('a'), performance.now());
    vi.advanceTimersByTime(50);
    s.write(Buffer.from('b'), performance.now());
    vi.advanceTimersByTime(49);
    expect(r.resets).toBe(0);
    vi.advanceTimersByTime(1);
    expect(r.resets).toBe(1);
    expect(r.writes).toEqual([]);
    expect(r.closed).toBe(0);
  });

  it('an end before any data resets at once; toxicity 0 passes data and end', () => {
    const r = recorder();
    new ResetPeerStage(spec('reset_peer', { timeout: 100 }), r.sink, r.host).end();
    expect(r.resets).toBe(1);
    const off = recorder();
    const s = new ResetPeerStage(spec('reset_peer', { timeout: 0 }, 0), off.sink, off.host);
    s.write(Buffer.from('x'), 1);
    s.end();
    expect(off.text()).toBe('x');
    expect(off.ended).toBe(true);
    expect(off.resets).toBe(0);
  });
});
