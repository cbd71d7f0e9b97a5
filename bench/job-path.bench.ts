import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openObjectStore } from '../objectstore/open.js';
import { runJobOnFile, runJobOnObject } from '../nodes/job/job.js';
import { readInfraConfig } from '../util/config.js';
import { benchFile } from './job.bench.js';
import type { BenchResult } from './types.js';

/*
 * The job as a node runs it, through the embedded S3 server and the app's proxy (no toxic),
 * against the same job on the local file, alternating, best of three each (issue 3: >= 70 %).
 * The S3 server and the proxy run in a process of their own (bench/infra-child.ts), as they do
 * under `fogsim up`: the controller hosts them and each node is a separate process.
 */
export async function benchJobPath(): Promise<BenchResult[]> {
  const { path, reference } = await benchFile();
  const dir = await mkdtemp(join(tmpdir(), 'fogsim-bench-path-'));
  const cfg = { ...readInfraConfig({}), dataDir: dir };
  const here = dirname(fileURLToPath(import.meta.url));
  const fromSource = import.meta.url.endsWith('.ts');
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), join(here, fromSource ? 'infra-child.ts' : 'infra-child.js'), dir, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the S3 + proxy process exited (${code}) before it was ready`)));
      createInterface({ input: child.stdout }).once('line', resolve);
    });
    const addr = JSON.parse(line) as { s3: { host: string; port: number }; credentials: { accessKey: string; secretKey: string }; proxy: { host: string; port: number } };
    const via = openObjectStore(cfg, { endpoint: addr.s3, credentials: addr.credentials }).viaEndpoint(addr.proxy.host, addr.proxy.port);
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
        note: `${reference ? 'reference file' : 'generated 100k records'}, no toxic, S3 + proxy in their own process, best of 3 each, alternating${same ? '' : '; AVERAGES DIFFER'}`,
      },
    ];
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}
