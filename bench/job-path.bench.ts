import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedS3 } from '../objectstore/embedded-s3/index.js';
import { openObjectStore } from '../objectstore/open.js';
import { startProxyServer } from '../proxies/server/index.js';
import { openLatencyControl } from '../proxies/toxiproxy-control.js';
import { runJobOnFile, runJobOnObject } from '../nodes/job/job.js';
import { readInfraConfig } from '../util/config.js';
import { benchFile } from './job.bench.js';
import type { BenchResult } from './types.js';

/*
 * The job as a node runs it, through the embedded S3 server and the app's proxy (no toxic),
 * against the same job on the local file, alternating, best of three each (issue 3: >= 70 %).
 */
export async function benchJobPath(): Promise<BenchResult[]> {
  const { path, reference } = await benchFile();
  const dir = await mkdtemp(join(tmpdir(), 'fogsim-bench-path-'));
  const cfg = { ...readInfraConfig({}), dataDir: dir };
  const s3 = await startEmbeddedS3({ host: '127.0.0.1', port: 0, dir: join(dir, 's3'), credentials: { accessKey: cfg.s3AccessKey, secretKey: cfg.s3SecretKey } });
  const proxy = await startProxyServer({ host: '127.0.0.1', port: 0 });
  try {
    const objects = openObjectStore(cfg, s3.endpoint);
    await objects.ensureBucket('node-1');
    await objects.putFile('node-1', 'bench.json', path);
    const latency = await openLatencyControl({ ...cfg, toxiproxyUrl: proxy.url });
    const addr = await latency.ensureProxy('bench', '127.0.0.1:0', `${s3.endpoint.host}:${s3.endpoint.port}`);
    await latency.setLatency('bench', 0);
    const via = objects.viaEndpoint(addr.host, addr.port);
    let fileMs = Infinity;
    let pathMs = Infinity;
    let bytes = 0;
    let same = true;
    for (let round = 0; round < 3; round++) {
      const f = await runJobOnFile(path);
      const p = await runJobOnObject(via, 'node-1', 'bench.json');
      fileMs = Math.min(fileMs, f.rtMs);
      pathMs = Math.min(pathMs, p.rtMs);
      bytes = f.bytes;
      same &&= f.avg === p.avg && f.records === p.records;
    }
    const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);
    return [
      {
        name: 'job through embedded S3 + proxy vs local file',
        value: mbps(pathMs),
        unit: 'MB/s',
        baseline: mbps(fileMs),
        ratio: fileMs / pathMs,
        target: '>= 0.7x',
        note: `${reference ? 'reference file' : 'generated 100k records'}, no toxic, best of 3 each, alternating${same ? '' : '; AVERAGES DIFFER'}`,
      },
    ];
  } finally {
    await proxy.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  }
}
