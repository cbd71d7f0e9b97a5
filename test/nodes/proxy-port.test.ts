/**
 * A proxy port derived from an app id is checked (issue 18): FOGSIM_PROXY_BASE_PORT must be a
 * port, and base + app id must be one too, or the node refuses to start naming both.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../model/errors.js';
import { MAX_NODE_ID } from '../../model/limits.js';
import { proxiedJob } from '../../nodes/deps.js';
import type { LatencyControl } from '../../proxies/latency-control.js';
import type { S3ObjectStore } from '../../objectstore/s3-object-store.js';
import { readInfraConfig } from '../../util/config.js';

/** A latency control that records the listen address asked for (no server needed). */
function recorder(): LatencyControl & { listens: string[] } {
  const listens: string[] = [];
  return {
    listens,
    ensureProxy: async (_name, listen) => {
      listens.push(listen);
      return { host: '127.0.0.1', port: Number(listen.split(':').pop()) || 40000 };
    },
    setLatency: async () => undefined,
    getLatency: async () => 0,
    setBandwidth: async () => undefined,
    setUnreachable: async () => undefined,
    removeProxy: async () => undefined,
  };
}
const objects = { endpoint: { host: '127.0.0.1', port: 9000 }, viaEndpoint: () => objects } as unknown as S3ObjectStore;
const cfg = (proxyBasePort: number) => ({ proxyHost: '127.0.0.1', proxyListenHost: '127.0.0.1', proxyBasePort, s3Upstream: undefined, session: 'test' });

describe('proxy port of an app', () => {
  it('base + app id above 65535 is refused naming FOGSIM_PROXY_BASE_PORT and the app id; no proxy is created', async () => {
    const latency = recorder();
    const err = await proxiedJob(MAX_NODE_ID, objects, latency, cfg(60000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).toContain('FOGSIM_PROXY_BASE_PORT (60000)');
    expect(msg).toContain(`app id ${MAX_NODE_ID} = ${60000 + MAX_NODE_ID}`);
    expect(msg).toContain(`at most ${65535 - MAX_NODE_ID}`);
    // the case: a base of 29500 and node 70000 asked for 127.0.0.1:99500
    await expect(proxiedJob(70000, objects, latency, cfg(29500))).rejects.toThrow(/= 99500 is not a port/);
    expect(latency.listens).toEqual([]);
  });

  it('a port in range is used as is; no base port means any free port', async () => {
    const latency = recorder();
    await proxiedJob(3, objects, latency, cfg(26000));
    await proxiedJob(65535 - 26000, objects, latency, cfg(26000));
    await proxiedJob(70000, objects, latency, cfg(0));
    expect(latency.listens).toEqual(['127.0.0.1:26003', '127.0.0.1:65535', '127.0.0.1:0']);
  });

  it('FOGSIM_PROXY_BASE_PORT must be an integer 0..65535; the error names the variable', () => {
    expect(readInfraConfig({}).proxyBasePort).toBe(0);
    expect(readInfraConfig({ FOGSIM_PROXY_BASE_PORT: '' }).proxyBasePort).toBe(0);
    expect(readInfraConfig({ FOGSIM_PROXY_BASE_PORT: '26000' }).proxyBasePort).toBe(26000);
    for (const bad of ['abc', '70000', '-1', '1.5', '1e3']) {
      expect(() => readInfraConfig({ FOGSIM_PROXY_BASE_PORT: bad })).toThrow(UserError);
      expect(() => readInfraConfig({ FOGSIM_PROXY_BASE_PORT: bad })).toThrow(`FOGSIM_PROXY_BASE_PORT: expected a port, an integer from 0 to 65535 (0: any free port), got "${bad}"`);
    }
  });
});
