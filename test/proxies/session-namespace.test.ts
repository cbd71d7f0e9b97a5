/**
 * Proxies are namespaced per session (issue 18): two sessions sharing one proxy server name their
 * proxies `<session>-app-<id>`, so neither re-points nor re-times the other's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../model/errors.js';
import { proxiedJob } from '../../nodes/deps.js';
import type { S3ObjectStore } from '../../objectstore/s3-object-store.js';
import { proxyNameForApp } from '../../proxies/latency-control.js';
import { startProxyServer, type RunningProxyServer } from '../../proxies/server/index.js';
import { ToxiproxyLatencyControl } from '../../proxies/toxiproxy-control.js';
import { readInfraConfig, sessionFromDataDir } from '../../util/config.js';

const objects = { endpoint: { host: '127.0.0.1', port: 9000 }, viaEndpoint: () => objects } as unknown as S3ObjectStore;
const cfg = (session: string, s3Upstream: string) => ({ proxyHost: '127.0.0.1', proxyListenHost: '127.0.0.1', proxyBasePort: 0, s3Upstream, session });

describe('proxies of two sessions on one proxy server', () => {
  let server: RunningProxyServer;
  beforeAll(async () => {
    server = await startProxyServer({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => server?.close());

  it('the same app id in two sessions is two proxies: upstream and latency of one leave the other alone', async () => {
    const a = new ToxiproxyLatencyControl(server.url);
    const b = new ToxiproxyLatencyControl(server.url);
    await proxiedJob(1, objects, a, cfg('alpha', '127.0.0.1:9001'));
    await proxiedJob(1, objects, b, cfg('beta', '127.0.0.1:9002'));
    const proxies = (await (await fetch(`${server.url}/proxies`)).json()) as Record<string, { upstream: string; listen: string }>;
    expect(Object.keys(proxies).sort()).toEqual(['alpha-app-1', 'beta-app-1']);
    // beta's bring-up did not re-point alpha's proxy to beta's object store
    expect(proxies['alpha-app-1']!.upstream).toBe('127.0.0.1:9001');
    expect(proxies['beta-app-1']!.upstream).toBe('127.0.0.1:9002');
    expect(proxies['alpha-app-1']!.listen).not.toBe(proxies['beta-app-1']!.listen);

    await a.setLatency(proxyNameForApp('alpha', 1), 700);
    await b.setLatency(proxyNameForApp('beta', 1), 0);
    expect(await a.getLatency(proxyNameForApp('alpha', 1))).toBe(700);
    expect(await b.getLatency(proxyNameForApp('beta', 1))).toBe(0);
    await b.setUnreachable(proxyNameForApp('beta', 1), true);
    const alphaToxics = (await (await fetch(`${server.url}/proxies/alpha-app-1/toxics`)).json()) as { name: string }[];
    expect(alphaToxics.map((t) => t.name)).toEqual(['latency']);
  });
});

describe('the session namespace', () => {
  it('defaults to one derived from the data dir: stable for a dir, different for another, readable', () => {
    const one = readInfraConfig({ FOGSIM_DATA_DIR: '/tmp/one/.fogsim' }).session;
    expect(one).toBe(readInfraConfig({ FOGSIM_DATA_DIR: '/tmp/one/.fogsim' }).session);
    expect(one).toBe(sessionFromDataDir('/tmp/one/.fogsim'));
    expect(one).toMatch(/^fogsim-[0-9a-f]{6}$/);
    expect(readInfraConfig({ FOGSIM_DATA_DIR: '/tmp/two/.fogsim' }).session).not.toBe(one);
    expect(proxyNameForApp(one, 3)).toBe(`${one}-app-3`);
  });

  it('FOGSIM_SESSION sets it; a bad one is refused naming the variable', () => {
    expect(readInfraConfig({ FOGSIM_SESSION: 'ci-run.7' }).session).toBe('ci-run.7');
    for (const bad of ['a/b', '-x', 'x y', 'x'.repeat(41)]) {
      expect(() => readInfraConfig({ FOGSIM_SESSION: bad })).toThrow(UserError);
      expect(() => readInfraConfig({ FOGSIM_SESSION: bad })).toThrow(/^FOGSIM_SESSION: expected 1 to 40 letters/);
    }
  });
});
