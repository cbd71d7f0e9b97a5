/** What the toxics share: the Timer for any delay and attribute parsing. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../proxies/server/errors.js';
import { MAX_TIMER_MS, parseAttributes, parseToxicity, Timer } from '../../../proxies/server/toxics/common.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Timer', () => {
  it('fires at the due time for a delay beyond setTimeout (chained), and not before', () => {
    vi.useFakeTimers();
    const t = new Timer();
    let fired = 0;
    t.set(3_000_000_000, () => fired++);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).toBe(0);
    expect(t.armed).toBe(true);
    vi.advanceTimersByTime(3_000_000_000 - MAX_TIMER_MS - 1);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    expect(t.armed).toBe(false);
    t.set(50, () => fired++);
    t.clear();
    vi.advanceTimersByTime(100);
    expect(fired).toBe(1);
  });
});

describe('attribute parsing', () => {
  const rules = { a: {}, b: { max: 10, unit: 'ms' } };
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError);
      return (e as ApiError).message;
    }
    throw new Error('no error');
  };

  it('reads the known attributes over the base, ignoring unknown keys', () => {
    expect(parseAttributes(rules, { b: 3, other: 'x' }, { a: 1, b: 0 })).toEqual({ a: 1, b: 3 });
    expect(parseAttributes(rules, undefined, { a: 1 })).toEqual({ a: 1 });
  });

  it('refuses what Toxiproxy would not take, naming the attribute', () => {
    expect(err(() => parseAttributes(rules, [], {}))).toBe('bad request body: attributes must be an object');
    // a wrong JSON type is worded as Go's decoder words it in Toxiproxy's answer
    expect(err(() => parseAttributes(rules, { a: '1' }, {}, 'TestToxic'))).toBe('bad request body: json: cannot unmarshal string into Go struct field TestToxic.attributes.a of type int64');
    expect(parseAttributes(rules, { a: null }, { a: 4 })).toEqual({ a: 4 });
    expect(err(() => parseAttributes(rules, { a: -1 }, {}))).toBe('bad request body: attributes.a must be >= 0, got -1');
    expect(err(() => parseAttributes(rules, { b: 11 }, {}))).toBe('bad request body: attributes.b must be <= 10 (ms), got 11');
  });

  it('toxicity is any finite number as Toxiproxy 2.12 stores it, defaulting to the fallback', () => {
    expect(parseToxicity(undefined, 0.5)).toBe(0.5);
    expect(parseToxicity(0, 1)).toBe(0);
    expect(parseToxicity(1.5, 1)).toBe(1.5);
    expect(parseToxicity(-1, 1)).toBe(-1);
    expect(err(() => parseToxicity('x', 1))).toBe('bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.toxicity of type float32');
  });
});
