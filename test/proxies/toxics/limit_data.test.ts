/** The limit_data toxic: the connection closes once `bytes` bytes went through. */
import { describe, expect, it } from 'vitest';
import { LimitDataStage } from '../../../proxies/server/toxics/limit_data.js';
import { recorder, spec } from './helpers.js';

describe('limit_data: stage', () => {
  it('passes the first bytes, cuts the chunk that crosses the limit, and closes', () => {
    const r = recorder();
    const s = new LimitDataStage(spec('limit_data', { bytes: 5 }), r.sink, r.host);
    s.write(Buffer.from('abc'), 1);
    expect(r.closed).toBe(0);
    s.write(Buffer.from('defg'), 2);
    expect(r.writes).toEqual([
      { text: 'abc', ts: 1 },
      { text: 'de', ts: 2 },
    ]);
    expect(r.closed).toBe(1);
  });

  it('bytes 0 closes on the first data without passing any; toxicity 0 passes everything', () => {
    const r = recorder();
    new LimitDataStage(spec('limit_data', { bytes: 0 }), r.sink, r.host).write(Buffer.from('x'), 1);
    expect(r.writes).toEqual([]);
    expect(r.closed).toBe(1);
    const off = recorder();
    new LimitDataStage(spec('limit_data', { bytes: 1 }, 0), off.sink, off.host).write(Buffer.from('xyz'), 1);
    expect(off.text()).toBe('xyz');
    expect(off.closed).toBe(0);
  });
});
