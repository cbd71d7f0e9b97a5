import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.js';

/*
 * The controller's API under load (issue 18, item 9): `fogsim up` as a whole process (the build,
 * embedded stack, thesis-fast scenario, its nodes running), 200 SSE streams on /api/stream held
 * open while 100 clients, each one request at a time, read /api/runs, /api/events, /api/nodes and
 * now and then PUT a link (its current latency, so the story is not changed) for DURATION_S.
 * Reports requests/s, p50/p99 per route, SSE events per stream, errors and the controller's RSS.
 */
const here = dirname(fileURLToPath(import.meta.url));
const STREAMS = 200;
const CLIENTS = 100;
const DURATION_S = Number(process.env.FOGSIM_BENCH_API_S ?? 20);

function repoRoot(): string {
  for (const up of ['..', '../..']) if (existsSync(join(resolve(here, up), 'bin', 'fogsim.js'))) return resolve(here, up);
  throw new Error('bin/fogsim.js not found above bench/');
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

export async function benchApiLoad(): Promise<BenchResult[]> {
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-apiload-'));
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'bin/fogsim.js'), 'up', '--scenario', join(root, 'test/fixtures/thesis-fast.yaml'), '--port', String(port), '--proxy-port', String(await freePort())], {
    cwd: root,
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FOGSIM_'))), FOGSIM_DATA_DIR: dir, FOGSIM_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const base = `http://127.0.0.1:${port}/api`;
  const streams: AbortController[] = [];
  try {
    const end0 = Date.now() + 300_000;
    while (!out.includes('press Ctrl-C to stop')) {
      if (child.exitCode !== null || Date.now() > end0) throw new Error(`fogsim up did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const rssBefore = rssKb(child.pid!);

    // the SSE streams: events counted by their blank-line terminator
    const perStream = new Array<number>(STREAMS).fill(0);
    let streamErrors = 0;
    const opened = await Promise.all(
      perStream.map(async (_, i) => {
        const ac = new AbortController();
        streams.push(ac);
        const res = await fetch(`${base}/stream`, { signal: ac.signal });
        if (!res.ok || !res.body) throw new Error(`stream ${i}: ${res.status}`);
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        void (async () => {
          try {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              buf += dec.decode(value, { stream: true });
              let k;
              while ((k = buf.indexOf('\n\n')) >= 0) {
                if (buf.slice(0, k).split('\n').some((l) => l.startsWith('data:'))) perStream[i]++;
                buf = buf.slice(k + 2);
              }
            }
          } catch (e) {
            if (!ac.signal.aborted) streamErrors++;
          }
        })();
      }),
    );
    void opened;

    const routes = ['GET /api/runs', 'GET /api/events', 'GET /api/nodes', 'PUT /api/links/1/2'] as const;
    const lat: Record<string, number[]> = Object.fromEntries(routes.map((r) => [r, []]));
    let errors = 0;
    const stopAt = performance.now() + DURATION_S * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let n = c; performance.now() < stopAt; n++) {
          // one PUT in 20 requests: writes are rare next to reads in the UI
          const route = n % 20 === 0 ? routes[3] : routes[n % 3];
          const s = performance.now();
          try {
            const res =
              route === routes[3]
                ? await fetch(`${base}/links/1/2`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 300 }) })
                : await fetch(`${base}${route.slice(8)}${route === routes[0] ? '?order=desc&limit=50' : ''}`);
            await res.arrayBuffer();
            if (!res.ok) errors++;
          } catch {
            errors++;
          }
          lat[route].push(performance.now() - s);
        }
      }),
    );
    const wallS = (performance.now() - t0) / 1000;
    const rssAfter = rssKb(child.pid!);
    const total = routes.reduce((a, r) => a + lat[r].length, 0);
    const events = [...perStream].sort((a, b) => a - b);
    const results: BenchResult[] = [
      { name: 'API requests/s (100 clients, 200 SSE streams open)', value: total / wallS, unit: 'req/s', note: `${total} requests in ${wallS.toFixed(1)} s` },
      ...routes.flatMap((r) => [
        { name: `${r} p50`, value: pct(lat[r], 50), unit: 'ms', note: `${lat[r].length} requests` },
        { name: `${r} p99`, value: pct(lat[r], 99), unit: 'ms' },
      ]),
      { name: 'SSE events per stream (min / median / max)', value: events[Math.floor(events.length / 2)], unit: 'events', note: `min ${events[0]}, max ${events[events.length - 1]}, ${STREAMS} streams` },
      { name: 'errors (HTTP >= 400 or failed requests, broken streams)', value: errors + streamErrors, unit: 'count', note: `requests ${errors}, streams ${streamErrors}` },
      { name: 'controller RSS before load', value: rssBefore / 1024, unit: 'MB' },
      { name: 'controller RSS at the end of the load', value: rssAfter / 1024, unit: 'MB' },
    ];
    return results;
  } finally {
    for (const s of streams) s.abort();
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}
