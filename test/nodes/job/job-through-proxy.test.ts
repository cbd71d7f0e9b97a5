import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobAbortedError, runJobOnFile, runJobOnObject } from '../../../nodes/job/job.js';
import { measureRun } from '../../../nodes/monitor/monitor.js';
import { generateDataset } from '../../../dataset/generate.js';
import { FogsimError, UserError } from '../../../model/errors.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../../../objectstore/embedded-s3/index.js';
import { openObjectStore } from '../../../objectstore/open.js';
import { startProxyServer, ToxiproxyLatencyControl, type RunningProxyServer } from '../../../proxies/index.js';
import { readInfraConfig } from '../../../util/config.js';

/*
 * The data path of one run, with real embedded servers: the job streams the object from the
 * embedded S3 server through the app's proxy on the embedded Toxiproxy-compatible server.
 */
const dir = mkdtempSync(join(tmpdir(), 'fogsim-jobproxy-'));
let s3: EmbeddedS3;
let proxyServer: RunningProxyServer;
let latency: ToxiproxyLatencyControl;
let via: ReturnType<ReturnType<typeof openObjectStore>['viaEndpoint']>;
let fresh: () => typeof via;
let fileAvg: number | null;

beforeAll(async () => {
  const file = join(dir, 'd.json');
  await generateDataset(file, { records: 2000, seed: 8 });
  fileAvg = (await runJobOnFile(file)).avg;
  s3 = await startEmbeddedS3({ dir: join(dir, 's3'), host: '127.0.0.1', port: 0 });
  const objects = openObjectStore({ ...readInfraConfig({}), dataDir: dir }, s3);
  await objects.ensureBucket('node-3');
  await objects.putFile('node-3', 'bloodtests.json', file);
  proxyServer = await startProxyServer({ host: '127.0.0.1', port: 0 });
  latency = new ToxiproxyLatencyControl(proxyServer.url);
  const listen = await latency.ensureProxy('app-1', '127.0.0.1:0', `${s3.endpoint.host}:${s3.endpoint.port}`);
  fresh = () => objects.viaEndpoint(listen.host, listen.port);
  via = fresh();
}, 60_000);

afterAll(async () => {
  await proxyServer?.close();
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('job through the embedded S3 server and the latency proxy', () => {
  it('same average as the file; a 500 ms latency toxic adds about 500 ms to RT, once per request', async () => {
    // best of two runs per setting: the machine is shared, a single run can stall
    const best = async (ms: number) => {
      await latency.setLatency('app-1', ms);
      // a fresh client per run: a toxic changed while a kept-alive connection is open did not
      // always act on that connection (reported to the proxy's owner), and each run of a node
      // is a new request anyway
      const a = await runJobOnObject(fresh(), 'node-3', 'bloodtests.json');
      const b = await runJobOnObject(fresh(), 'node-3', 'bloodtests.json');
      return a.rtMs <= b.rtMs ? a : b;
    };
    await best(0); // warm-up: connections, JIT
    const fast = await best(0);
    const slow = await best(500);
    expect(fast.avg).toBe(fileAvg);
    expect(slow.avg).toBe(fileAvg);
    expect(slow.rtMs - fast.rtMs).toBeGreaterThan(400);
    // a 1.1 MB object arrives in many chunks: latency per chunk would add seconds
    expect(slow.rtMs - fast.rtMs).toBeLessThan(3000);
    const nl = await latency.getLatency('app-1');
    expect(nl).toBe(500);
    const m = measureRun({ job: slow, latencyMs: nl, dataNodeAvailability: 85, copiesInFamily: 1, maxCopies: 2 });
    expect(m).toMatchObject({ responseTime: slow.rtMs, latency: 500, availability: 85, consistency: 1 });
  }, 60_000);

  it('ranged reads: each range pays the latency in ET (4 ranges >= 4 x L), a single GET about once', async () => {
    const L = 200;
    const size = (await via.statObject('node-3', 'bloodtests.json'))!.size;
    const rangeBytes = Math.ceil(size / 4);
    await latency.setLatency('app-1', L);
    try {
      const ranged = await runJobOnObject(fresh(), 'node-3', 'bloodtests.json', { rangeBytes });
      expect(ranged.avg).toBe(fileAvg);
      expect(ranged.etMs).toBeGreaterThanOrEqual(4 * L * 0.9);
      expect(ranged.rtMs).toBeGreaterThanOrEqual(ranged.etMs);
      expect(ranged.throughput).toBeCloseTo(ranged.records / (ranged.etMs / 1000), 6);
      // best of two: the machine is shared
      const a = await runJobOnObject(fresh(), 'node-3', 'bloodtests.json');
      const b = await runJobOnObject(fresh(), 'node-3', 'bloodtests.json');
      const single = a.etMs <= b.etMs ? a : b;
      expect(single.avg).toBe(fileAvg);
      // ET now covers the read through the proxy: the latency is in it, once
      expect(single.etMs).toBeGreaterThanOrEqual(L * 0.9);
      expect(single.etMs).toBeLessThan(2 * L);
      expect(ranged.throughput).toBeLessThan(single.throughput);
    } finally {
      await latency.setLatency('app-1', 0);
    }
  }, 60_000);

  it('timeoutMs: the job fails with a clear error once exceeded, its read aborted; so does its signal', async () => {
    const L = 300;
    const size = (await via.statObject('node-3', 'bloodtests.json'))!.size;
    await latency.setLatency('app-1', L);
    try {
      const t0 = performance.now();
      const err = await runJobOnObject(fresh(), 'node-3', 'bloodtests.json', { rangeBytes: Math.ceil(size / 4), timeoutMs: 500 }).catch((e: unknown) => e);
      const took = performance.now() - t0;
      expect(err).toBeInstanceOf(JobAbortedError);
      expect(err).toBeInstanceOf(UserError);
      expect(err).toMatchObject({ timedOut: true, message: 'job timed out after 500 ms reading node-3/bloodtests.json' });
      expect(took).toBeGreaterThanOrEqual(490);
      expect(took).toBeLessThan(800);
      // a timeout the job outlasts changes nothing
      const ok = await runJobOnObject(fresh(), 'node-3', 'bloodtests.json', { timeoutMs: 10_000 });
      expect(ok.avg).toBe(fileAvg);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const aborted = await runJobOnObject(fresh(), 'node-3', 'bloodtests.json', { rangeBytes: Math.ceil(size / 4), signal: ac.signal, timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(aborted).toMatchObject({ name: 'AbortError', timedOut: false, message: 'job aborted while reading node-3/bloodtests.json' });
    } finally {
      await latency.setLatency('app-1', 0);
    }
  }, 60_000);

  it('proxy down: a clear error (FogsimError: no stack trace for the user) and no average', async () => {
    await latency.removeProxy('app-1');
    const err = await runJobOnObject(via, 'node-3', 'bloodtests.json').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FogsimError);
    expect((err as Error).message).toMatch(/not reachable|ECONNREFUSED|reading the data set failed/);
  }, 60_000);
});
