/*
 * Latency proxy benchmark.
 *  - throughput of one large HTTP transfer (200 MB by default, FOGSIM_BENCH_PROXY_MB) direct
 *    vs through the embedded proxy carrying a zero latency toxic, run alternately side by side
 *    (best of each); the proxy runs in its own process, as `fogsim proxy serve` would;
 *  - the time a 300 ms latency toxic adds to one request (small body, fresh connection);
 *  - the same through a real Toxiproxy when FOGSIM_TOXIPROXY_URL is set.
 *  - for reference, the barest Node pipe proxy measured the same way.
 * Server and client share this process on both sides of the comparison. Wall-time ratios swing
 * with the machine's load; the CPU figure (from /proc) shows the proxy's own cost per byte.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Toxiproxy } from 'toxiproxy-node-client';
import type { BenchResult } from './types.js';

const MB = Number(process.env.FOGSIM_BENCH_PROXY_MB ?? 200);
const LATENCY = 300;
/** alternated direct/proxied rounds; the best of each counts (the least disturbed by neighbours) */
const ROUNDS = Number(process.env.FOGSIM_BENCH_PROXY_ROUNDS ?? 5);

interface Upstream {
  port: number;
  close(): Promise<void>;
}

async function startUpstream(totalBytes: number): Promise<Upstream> {
  const block = Buffer.alloc(1024 * 1024, 'a');
  const server = http.createServer((req, res) => {
    if (req.url !== '/big') return void res.end('ok');
    res.writeHead(200, { 'content-length': totalBytes });
    let left = totalBytes;
    const pump = (): void => {
      while (left > 0) {
        const piece = left >= block.length ? block : block.subarray(0, left);
        left -= piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function get(port: number, path: string): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The embedded server in a child process (tsx when this file runs as TypeScript). */
async function spawnEmbedded(): Promise<{ url: string; child: ChildProcess }> {
  const self = fileURLToPath(import.meta.url);
  const ts = self.endsWith('.ts');
  const entry = fileURLToPath(new URL(`../proxies/server/serve-child.${ts ? 'ts' : 'js'}`, import.meta.url));
  const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), entry], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, FOGSIM_LOG_LEVEL: 'warn' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolve(l));
    child.once('exit', (code) => reject(new Error(`embedded proxy exited early (code ${code})`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

/** CPU ms (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks, USER_HZ = 100
  } catch {
    return undefined;
  }
}
const selfCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function measure(label: string, apiUrl: string, up: Upstream, proxyPid?: number): Promise<BenchResult[]> {
  const client = new Toxiproxy(apiUrl);
  const name = `fogsim-bench-${process.pid}`;
  for (const stale of [name, `${name}-slow`]) await fetch(`${apiUrl}/proxies/${stale}`, { method: 'DELETE' }).catch(() => undefined);
  const proxy = await client.createProxy({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}`, enabled: true });
  const port = Number(proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1));
  try {
    await proxy.addToxic({ name: 'latency', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 0, jitter: 0 } });
    const bytes = MB * 1024 * 1024;
    let direct = Infinity;
    let proxied = Infinity;
    // CPU per transfer: wall time on a shared 2-core machine mostly measures the neighbours
    let cpuDirect = Infinity;
    let cpuMainProxied = Infinity;
    let cpuProxy = Infinity;
    await get(up.port, '/big'); // warm-up
    for (let i = 0; i < ROUNDS; i++) {
      let c0 = selfCpuMs();
      const d = await get(up.port, '/big');
      cpuDirect = Math.min(cpuDirect, selfCpuMs() - c0);
      c0 = selfCpuMs();
      const p0 = cpuMsOf(proxyPid);
      const p = await get(port, '/big');
      cpuMainProxied = Math.min(cpuMainProxied, selfCpuMs() - c0);
      const p1 = cpuMsOf(proxyPid);
      if (p0 !== undefined && p1 !== undefined) cpuProxy = Math.min(cpuProxy, p1 - p0);
      if (d.bytes !== bytes || p.bytes !== bytes) throw new Error(`short transfer: ${d.bytes} / ${p.bytes} of ${bytes} bytes`);
      direct = Math.min(direct, d.ms);
      proxied = Math.min(proxied, p.ms);
    }
    const directMBs = MB / (direct / 1000);
    const proxiedMBs = MB / (proxied / 1000);
    const cpuFigures: BenchResult[] = Number.isFinite(cpuProxy)
      ? [
          {
            name: `${label}: CPU-bound throughput ratio (each process on a free core)`,
            value: MB / (Math.max(cpuMainProxied, cpuProxy) / 1000),
            unit: 'MB/s',
            baseline: MB / (cpuDirect / 1000),
            ratio: cpuDirect / Math.max(cpuMainProxied, cpuProxy),
            target: '>= 0.8x',
            note: `CPU per ${MB} MB: direct ${cpuDirect.toFixed(0)} ms (server+client); proxied ${cpuMainProxied.toFixed(0)} ms server+client, ${cpuProxy.toFixed(0)} ms in the proxy process`,
          },
        ]
      : [];

    // latency: a second proxy carries the toxic; samples alternate between the two
    const slowProxy = await client.createProxy({ name: `${name}-slow`, listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}`, enabled: true });
    const slowPort = Number(slowProxy.listen.slice(slowProxy.listen.lastIndexOf(':') + 1));
    await slowProxy.addToxic({ name: 'latency', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: LATENCY, jitter: 0 } });
    let base = Infinity;
    let slow = Infinity;
    for (let i = 0; i < 5; i++) {
      base = Math.min(base, (await get(port, '/small')).ms);
      slow = Math.min(slow, (await get(slowPort, '/small')).ms);
    }
    const added = slow - base;
    return [
      {
        name: `${label}: ${MB} MB HTTP transfer, zero latency toxic vs direct`,
        value: proxiedMBs,
        unit: 'MB/s',
        baseline: directMBs,
        ratio: proxiedMBs / directMBs,
        target: '>= 0.8x',
        note: `wall time, best of ${ROUNDS} each, alternated; direct ${direct.toFixed(0)} ms, proxied ${proxied.toFixed(0)} ms`,
      },
      ...cpuFigures,
      {
        name: `${label}: time added by a ${LATENCY} ms latency toxic to one request`,
        value: added,
        unit: 'ms',
        baseline: LATENCY,
        ratio: added / LATENCY,
        target: `${LATENCY} ms +-10%`,
        note: `small body on a fresh connection; best of 5 alternated: without ${base.toFixed(1)} ms, with ${slow.toFixed(1)} ms`,
      },
    ];
  } finally {
    await fetch(`${apiUrl}/proxies/${name}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${apiUrl}/proxies/${name}-slow`, { method: 'DELETE' }).catch(() => undefined);
  }
}

/**
 * Reference point: the barest Node TCP proxy (two stream.pipe calls) in its own process, run
 * alternately with the direct transfer. On a busy shared machine the handoffs between processes
 * cost more wall time than the proxy's CPU; this shows what any Node proxy gets here.
 */
async function measureBarePipe(up: Upstream): Promise<BenchResult> {
  const code = `const net=require('net');const s=net.createServer(c=>{const u=net.connect(${up.port},'127.0.0.1');c.pipe(u);u.pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy())});s.listen(0,'127.0.0.1',()=>console.log(s.address().port));process.stdin.on('end',()=>process.exit(0)).resume();`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = Number(await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)));
    let direct = Infinity;
    let piped = Infinity;
    for (let i = 0; i < ROUNDS; i++) {
      direct = Math.min(direct, (await get(up.port, '/big')).ms);
      piped = Math.min(piped, (await get(port, '/big')).ms);
    }
    return {
      name: `reference: bare Node stream.pipe proxy (own process), ${MB} MB vs direct`,
      value: MB / (piped / 1000),
      unit: 'MB/s',
      baseline: MB / (direct / 1000),
      ratio: direct / piped,
      note: `no API, no toxics; best of ${ROUNDS} alternated; direct ${direct.toFixed(0)} ms, piped ${piped.toFixed(0)} ms`,
    };
  } finally {
    child.stdin?.end();
    child.kill('SIGTERM');
  }
}

export async function benchProxy(): Promise<BenchResult[]> {
  const up = await startUpstream(MB * 1024 * 1024);
  const results: BenchResult[] = [];
  const embedded = await spawnEmbedded();
  try {
    results.push(...(await measure('embedded proxy', embedded.url, up, embedded.child.pid)));
  } finally {
    embedded.child.stdin?.end();
    embedded.child.kill('SIGTERM');
  }
  results.push(await measureBarePipe(up));
  const real = process.env.FOGSIM_TOXIPROXY_URL;
  try {
    // the CPU figure needs the real server's pid: known when scripts/real/toxiproxy.sh started it
    const pidFile = `${process.env.FOGSIM_REAL_DIR ?? '/tmp/fogsim-real'}/toxiproxy/pid`;
    let realPid: number | undefined;
    try {
      realPid = Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
    } catch {
      realPid = undefined;
    }
    if (real) results.push(...(await measure(`real Toxiproxy (${real})`, real, up, realPid)));
    else results.push({ name: 'real Toxiproxy', value: NaN, unit: '', note: 'not measured: FOGSIM_TOXIPROXY_URL is unset (scripts/real/toxiproxy.sh start)' });
  } finally {
    await up.close();
  }
  return results;
}
