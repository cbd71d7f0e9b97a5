import { describe, expect, it } from 'vitest';
import { BoundedBuffer } from '../../telemetry/buffer.js';

describe('BoundedBuffer', () => {
  it('keeps the newest items and counts the dropped oldest', () => {
    const b = new BoundedBuffer<number>(3);
    for (let i = 0; i < 5; i++) b.push(i);
    expect(b.length).toBe(3);
    expect(b.dropped).toBe(2);
    expect(b.take(10)).toEqual([2, 3, 4]);
    expect(b.length).toBe(0);
  });

  it('a failed batch goes back to the front in order; overflow then drops the oldest', () => {
    const b = new BoundedBuffer<number>(4);
    [1, 2, 3].forEach((i) => b.push(i));
    const batch = b.take(2);
    b.push(4);
    b.push(5);
    expect(b.unshift(batch)).toBe(1);
    expect(b.take(10)).toEqual([2, 3, 4, 5]);
    expect(b.dropped).toBe(1);
  });

  it('stays correct across many takes (compaction)', () => {
    const b = new BoundedBuffer<number>(100_000);
    for (let i = 0; i < 5000; i++) b.push(i);
    let next = 0;
    while (b.length) for (const x of b.take(7)) expect(x).toBe(next++);
    expect(next).toBe(5000);
  });

  it('rejects a useless capacity', () => {
    expect(() => new BoundedBuffer(0)).toThrow(/capacity/);
  });
});
