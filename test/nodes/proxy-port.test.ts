/**
 * App proxy ports are allocated, never derived from an app id (issue 18): with
 * FOGSIM_PROXY_BASE_PORT, the lowest port from the base that no proxy on the server holds; an
 * existing proxy keeps its port; a port held by another process is passed over; a full range is a
 * clear error naming FOGSIM_PROXY_BASE_PORT.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../model/errors.js';
import { MAX_NODE_ID } from '../../model/limits.js';
import { ensureAppProxy, proxiedJob } from '../../nodes/deps.js';
import { pickProxyPort, proxyNameForApp, type LatencyControl } from '../../proxies/latency-control.js';
import { startProxyServer, type RunningProxyServer } from '../../proxies/server/index.js';
import { ToxiproxyLatencyControl } from '../../proxies/toxiproxy-control.js';
import type { S3ObjectStore } from '../../objectstore/s3-object-store.js';
import { readInfraConfig } from '../../util/config.js';

const objects = { endpoint: { host: '127.0.0.1', port: 9000 }, viaEndpoint: () => objects } as unknown as S3ObjectStore;
const cfg = (proxyBasePort: number) => ({ proxyHost: '127.0.0.1', proxyListenHost: '127.0.0.1', proxyBasePort, s3Upstream: undefined, session: 'test' });
const port = (listen: string) => Number(listen.split(':').pop());

/** Binds `n` consecutive ports on 127.0.0.1 and releases them: a base with room above it (or the first of n held, with `hold`). */
async function freeRun(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const held: Server[] = [];
    try {
      for (let i = 0; i < n; i++) held.push(await listen(base + i));
      return base;
    } catch {
      // taken: another base
    } finally {
      for (const s of held) await new Promise((r) => s.close(r));
    }
  }
  throw new Error(`no run of ${n} free ports found`);
}

function listen(p: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(p, '127.0.0.1', () => resolve(s));
  });
}

describe('pickProxyPort', () => {
  const proxies = [
    { name: 'x-app-1', listen: '127.0.0.1:26000' },
    { name: 'y-app-1', listen: '[::]:26001' },
    { name: 'x-app-2', listen: '0.0.0.0:26003' },
  ];
  it('the lowest port no other proxy holds; its own port when it has one in range', () => {
    expect(pickProxyPort('x-app-9', proxies, 26000, 10)).toBe(26002);
    expect(pickProxyPort('x-app-2', proxies, 26000, 10)).toBe(26003);
    // its own port outside the range (created without a base) is not kept
    expect(pickProxyPort('x-app-2', proxies, 26001, 1)).toBeUndefined();
    expect(pickProxyPort('x-app-9', proxies, 26000, 10, new Set([26002]))).toBe(26004);
    expect(pickProxyPort('x-app-9', proxies, 26000, 2)).toBeUndefined();
  });
});

describe('proxy port of an app, on the embedded proxy server', () => {
  let server: RunningProxyServer;
  let latency: ToxiproxyLatencyControl;
  beforeAll(async () => {
    server = await startProxyServer({ host: '127.0.0.1', port: 0 });
    latency = new ToxiproxyLatencyControl(server.url);
  });
  afterAll(async () => server?.close());

  it('ports come in order of creation, whatever the id (the largest id too); an existing proxy keeps its port; a port another process holds is skipped', async () => {
    const base = await freeRun(6);
    await proxiedJob(MAX_NODE_ID, objects, latency, cfg(base));
    await proxiedJob(1, objects, latency, cfg(base));
    // a second start of the node (its proxy exists) keeps its address
    await proxiedJob(MAX_NODE_ID, objects, latency, cfg(base));
    const blocker = await listen(base + 2);
    try {
      await proxiedJob(70000, objects, latency, cfg(base));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    const byName = new Map((await latency.listProxies()).map((p) => [p.name, port(p.listen)]));
    expect(byName.get(proxyNameForApp('test', MAX_NODE_ID))).toBe(base);
    expect(byName.get(proxyNameForApp('test', 1))).toBe(base + 1);
    expect(byName.get(proxyNameForApp('test', 70000))).toBe(base + 3);
    for (const p of [1, MAX_NODE_ID, 70000]) await latency.removeProxy(proxyNameForApp('test', p));
  });

  it('no base port: any free port, as before', async () => {
    await proxiedJob(5, objects, latency, cfg(0));
    const p = (await latency.listProxies()).find((x) => x.name === proxyNameForApp('test', 5))!;
    expect(port(p.listen)).toBeGreaterThan(0);
    await latency.removeProxy(p.name);
  });
});

describe('a full port range', () => {
  it('is refused naming FOGSIM_PROXY_BASE_PORT and the range; no proxy is created', async () => {
    const asked: string[] = [];
    const full: LatencyControl = {
      ensureProxy: async (_n, l) => {
        asked.push(l);
        return { host: '127.0.0.1', port: port(l) };
      },
      listProxies: async () => [
        { name: 'other-app-1', listen: '0.0.0.0:65534' },
        { name: 'other-app-2', listen: '0.0.0.0:65535' },
      ],
      setLatency: async () => undefined,
      getLatency: async () => 0,
      setBandwidth: async () => undefined,
      setUnreachable: async () => undefined,
      removeProxy: async () => undefined,
    };
    const err = await ensureAppProxy('test-app-3', full, cfg(65534), 'minio:9000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      'proxy test-app-3: no free port left in 65534-65535 (FOGSIM_PROXY_BASE_PORT=65534; 2 other proxies on the server): lower FOGSIM_PROXY_BASE_PORT, remove the proxies no session uses, or unset it to use any free port',
    );
    expect(asked).toEqual([]);
  });
});

describe('FOGSIM_PROXY_BASE_PORT', () => {
  it('must be an integer 0..65535; the error names the variable', () => {
    expect(readInfraConfig({}).proxyBasePort).toBe(0);
    expect(readInfraConfig({ FOGSIM_PROXY_BASE_PORT: '' }).proxyBasePort).toBe(0);
    expect(readInfraConfig({ FOGSIM_PROXY_BASE_PORT: '26000' }).proxyBasePort).toBe(26000);
    for (const bad of ['abc', '70000', '-1', '1.5', '1e3']) {
      expect(() => readInfraConfig({ FOGSIM_PROXY_BASE_PORT: bad })).toThrow(UserError);
      expect(() => readInfraConfig({ FOGSIM_PROXY_BASE_PORT: bad })).toThrow(`FOGSIM_PROXY_BASE_PORT: expected a port, an integer from 0 to 65535 (0: any free port), got "${bad}"`);
    }
  });
});
