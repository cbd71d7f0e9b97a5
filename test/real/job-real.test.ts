import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, type GenerateResult } from '../../dataset/generate.js';
import { runJobOnObject, type JobResult } from '../../nodes/job/job.js';
import { openObjectStore } from '../../objectstore/open.js';
import type { S3ObjectStore } from '../../objectstore/s3-object-store.js';
import { openLatencyControl, type ToxiproxyLatencyControl } from '../../proxies/toxiproxy-control.js';
import { readInfraConfig } from '../../util/config.js';

/*
 * The job as a node runs it, on the real servers: the data set in MinIO, read through a real
 * Toxiproxy proxy whose latency toxic is set as the node sets it per run.
 */
const cfg = readInfraConfig();
const ready = Boolean(cfg.s3Endpoint && cfg.toxiproxyUrl);

if (!ready && process.env.CI) {
  describe('job on real MinIO behind real Toxiproxy', () => {
    it('has FOGSIM_S3_ENDPOINT and FOGSIM_TOXIPROXY_URL in CI', () => {
      throw new Error('CI is set but FOGSIM_S3_ENDPOINT / FOGSIM_TOXIPROXY_URL are not: run scripts/real/up.sh and source $FOGSIM_REAL_DIR/env.sh');
    });
  });
}

const LATENCY_MS = 400;
const BUCKET = 'fogsim-job-real';
const KEY = `blood-${process.pid}.json`;
const PROXY = `job-real-${process.pid}`;

describe.skipIf(!ready)('job on real MinIO behind real Toxiproxy (skipped: FOGSIM_S3_ENDPOINT / FOGSIM_TOXIPROXY_URL unset; run scripts/real/up.sh)', () => {
  let dir: string;
  let data: GenerateResult;
  let objects: S3ObjectStore;
  let control: ToxiproxyLatencyControl;
  let via: S3ObjectStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fogsim-job-real-'));
    data = await generateDataset(join(dir, 'blood.json'), { records: 20_000, seed: 7 });
    objects = openObjectStore(cfg);
    await objects.ensureBucket(BUCKET);
    await objects.putFile(BUCKET, KEY, data.path);
    control = await openLatencyControl(cfg);
    const addr = await control.ensureProxy(PROXY, '127.0.0.1:0', `${objects.endpoint.host}:${objects.endpoint.port}`);
    via = objects.viaEndpoint(addr.host, addr.port);
  });

  afterAll(async () => {
    await control?.removeProxy(PROXY).catch(() => {});
    await objects?.deleteObject(BUCKET, KEY).catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Best of a few runs: the machine is shared, and a stall only ever adds time. RT and ET (from
  // the first request through the proxy to the result) are minimised separately.
  async function best(store: S3ObjectStore, rangeBytes = 0, n = 3): Promise<{ rtMs: number; etMs: number; avg: number | null }> {
    let rtMs = Infinity;
    let etMs = Infinity;
    let avg: number | null = null;
    for (let i = 0; i < n; i++) {
      const r: JobResult = await runJobOnObject(store, BUCKET, KEY, { rangeBytes });
      rtMs = Math.min(rtMs, r.rtMs);
      etMs = Math.min(etMs, r.etMs);
      avg = r.avg;
    }
    return { rtMs, etMs, avg };
  }

  it('computes the exact average of the data set, directly and through the proxy', async () => {
    const direct = await runJobOnObject(objects, BUCKET, KEY);
    expect(direct.records).toBe(20_000);
    expect(direct.bytes).toBe(data.bytes);
    expect(direct.avg).toBeCloseTo(data.avgCholesterol!, 9);
    await control.setLatency(PROXY, 0);
    const proxied = await runJobOnObject(via, BUCKET, KEY);
    expect(proxied.avg).toBe(direct.avg);
    expect(proxied.records).toBe(direct.records);
  });

  it(`execution time grows by the ${LATENCY_MS} ms latency toxic once per request, and the proxy reports it`, async () => {
    await control.setLatency(PROXY, 0);
    expect(await control.getLatency(PROXY)).toBe(0);
    const base = await best(via);
    await control.setLatency(PROXY, LATENCY_MS);
    expect(await control.getLatency(PROXY)).toBe(LATENCY_MS);
    const slow = await best(via);
    // 4 ranged GETs on real MinIO behind real Toxiproxy: each pays the latency once
    const ranged = await best(via, Math.ceil(data.bytes / 4));
    await control.setLatency(PROXY, 0);
    const grew = slow.etMs - base.etMs;
    console.info(
      `job-real: ET ${base.etMs.toFixed(1)} ms at 0 ms, ${slow.etMs.toFixed(1)} ms at ${LATENCY_MS} ms (+${grew.toFixed(1)} ms) in one GET, ` +
        `${ranged.etMs.toFixed(1)} ms in 4 ranged GETs; RT ${slow.rtMs.toFixed(1)} ms; avg ${slow.avg}`,
    );
    expect(slow.avg).toBe(base.avg);
    expect(ranged.avg).toBe(base.avg);
    // One GET pays the downstream latency once, before its first byte; later chunks of the same
    // response follow without a new delay. ET runs from the first request, so it carries it.
    expect(grew).toBeGreaterThanOrEqual(LATENCY_MS * 0.9);
    expect(grew).toBeLessThan(LATENCY_MS * 2 + 500);
    expect(slow.rtMs).toBeGreaterThanOrEqual(slow.etMs);
    // four requests, one after the other: four times the latency
    expect(ranged.etMs).toBeGreaterThanOrEqual(4 * LATENCY_MS * 0.9);
    expect(ranged.etMs).toBeLessThan(4 * LATENCY_MS * 2 + 1000);
  });
});
