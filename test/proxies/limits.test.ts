/**
 * The embedded proxy's bounds and timers (issue 18): a latency toxic above fogsim's link bound is
 * refused like any invalid attribute, and no accepted value (nor any value a stage is handed)
 * turns into a 1 ms timer re-armed in a loop (setTimeout fires at once above 2^31-1 ms).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_LATENCY_MS } from '../../model/limits.js';
import { startProxyServer, type RunningProxyServer } from '../../proxies/server/index.js';
import { LatencyStage, MAX_TIMER_MS, SlowCloseStage, TimeoutStage, Timer, type Sink, type StageHost, type ToxicSpec } from '../../proxies/server/toxics.js';
import { sleep, startUpstreams, type Upstreams } from './helpers.js';

let server: RunningProxyServer;
let up: Upstreams;
const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));

beforeAll(async () => {
  server = await startProxyServer({ port: 0 });
  up = await startUpstreams(1024);
  await post('/proxies', { name: 'lim', upstream: `127.0.0.1:${up.echoPort}` });
});
afterAll(async () => {
  await server.close();
  await up.close();
});

describe('embedded proxy: latency bounds', () => {
  it(`latency and jitter above ${MAX_LATENCY_MS} ms answer 400 naming the attribute; the bound is accepted`, async () => {
    for (const attributes of [{ latency: 3_000_000_000 }, { latency: MAX_LATENCY_MS + 1 }, { latency: 10, jitter: 3_000_000_000 }]) {
      const r = await post('/proxies/lim/toxics', { type: 'latency', attributes });
      const key = 'jitter' in attributes ? 'jitter' : 'latency';
      expect(r).toEqual({ status: 400, json: { error: `bad request body: attributes.${key} must be <= ${MAX_LATENCY_MS} (ms), got ${attributes[key as keyof typeof attributes]}`, status: 400 } });
    }
    const ok = await post('/proxies/lim/toxics', { name: 'lat', type: 'latency', attributes: { latency: MAX_LATENCY_MS, jitter: 5 } });
    expect(ok.status).toBe(200);
    // an update past the bound is refused too, and leaves the toxic as it was
    const upd = await post('/proxies/lim/toxics/lat', { attributes: { latency: 3_000_000_000 } });
    expect(upd.status).toBe(400);
    const now = await fetch(`${server.url}/proxies/lim/toxics/lat`).then((r) => r.json() as Promise<{ attributes: Record<string, number> }>);
    expect(now.attributes).toEqual({ latency: MAX_LATENCY_MS, jitter: 5 });
  });

  it('1e400 (Infinity once parsed) is refused as not an integer, shown as Infinity', async () => {
    const r = await post('/proxies/lim/toxics', '{"type":"latency","attributes":{"latency":1e400}}');
    expect(r.json.error).toBe('bad request body: attributes.latency must be an integer, got Infinity');
  });
});

describe('toxic timers for huge delays', () => {
  const host: StageHost = { queued: () => undefined, close: () => undefined, reset: () => undefined };
  const spec = (type: string, attributes: Record<string, number>): ToxicSpec => ({ type, name: type, stream: 'downstream', toxicity: 1, attributes });
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  afterEach(() => {
    process.off('warning', onWarning);
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('a stage holding data for 3,000,000,000 ms arms one timer, not a 1 ms one in a loop', async () => {
    process.on('warning', onWarning);
    const got: Buffer[] = [];
    let ended = false;
    const sink: Sink = { write: (c) => void got.push(c), end: () => void (ended = true) };
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const stages = [new LatencyStage(spec('latency', { latency: 3_000_000_000, jitter: 0 }), sink, host), new SlowCloseStage(spec('slow_close', { delay: 3_000_000_000 }), sink, host), new TimeoutStage(spec('timeout', { timeout: 3_000_000_000 }), sink, host)];
    stages[0]!.write(Buffer.from('x'), performance.now());
    stages[1]!.end();
    await sleep(150);
    const delays = spy.mock.calls.map((c) => c[1] ?? 0);
    for (const s of stages) s.dispose();
    expect(got).toEqual([]);
    expect(ended).toBe(false);
    // Node would fire any of these after 1 ms, and the stage would set it again, and again
    expect(delays.filter((d) => d > MAX_TIMER_MS)).toEqual([]);
    // one timer per stage, at setTimeout's longest delay (chained from there)
    expect(delays.filter((d) => d === MAX_TIMER_MS)).toHaveLength(3);
    expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
  });

  it('Timer fires at the due time for a delay beyond setTimeout (chained), and not before', () => {
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
