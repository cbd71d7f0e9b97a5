/*
 * Object store benchmark: streaming GET of one large object (200 MB by default,
 * FOGSIM_BENCH_S3_MB) from the embedded S3 server and from s3rver, each in its own process,
 * read through the minio client as the job does; baseline: reading the same bytes from a local
 * file. Rounds alternate the three sides (best of each), so machine load hits them alike.
 * Also the embedded server's multipart upload speed, and whether s3rver takes a multipart upload.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { S3ObjectStore } from '../objectstore/s3-object-store.js';
import type { BenchResult } from './types.js';

const MB = Number(process.env.FOGSIM_BENCH_S3_MB ?? 200);
const ROUNDS = Number(process.env.FOGSIM_BENCH_S3_ROUNDS ?? 3);
const BUCKET = 'bench';
const KEY = 'big.bin';

interface Child {
  store: S3ObjectStore;
  stop(): Promise<void>;
}

async function spawnServer(kind: 'embedded' | 's3rver', dir: string, partSize?: number): Promise<Child> {
  mkdirSync(dir, { recursive: true }); // s3rver does not create its folder
  const ts = fileURLToPath(import.meta.url).endsWith('.ts');
  const entry = fileURLToPath(new URL(`../objectstore/embedded-s3/serve-child.${ts ? 'ts' : 'js'}`, import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), entry, kind, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} server exited early (code ${code})`)));
  });
  const ep = JSON.parse(line) as { host: string; port: number; accessKey: string; secretKey: string };
  return {
    store: new S3ObjectStore({ ...ep, partSize, source: kind }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function drain(stream: Readable): Promise<number> {
  let n = 0;
  for await (const c of stream) n += (c as Buffer).length;
  return n;
}

async function timed(read: () => Promise<Readable>, expected: number): Promise<number> {
  const t0 = performance.now();
  const n = await drain(await read());
  const s = (performance.now() - t0) / 1000;
  if (n !== expected) throw new Error(`read ${n} bytes, expected ${expected}`);
  return n / 1e6 / s;
}

export async function benchObjectStore(): Promise<BenchResult[]> {
  const work = mkdtempSync(path.join(tmpdir(), 'fogsim-bench-s3-'));
  const file = path.join(work, KEY);
  const size = MB * 1_000_000;
  // A random 1 MiB block repeated: incompressible enough, and quick to make.
  const block = randomBytes(1 << 20);
  const buf = Buffer.alloc(size);
  for (let o = 0; o < size; o += block.length) block.copy(buf, o, 0, Math.min(block.length, size - o));
  writeFileSync(file, buf);

  const children: Child[] = [];
  try {
    const embedded = await spawnServer('embedded', path.join(work, 'embedded'));
    children.push(embedded);
    // s3rver rejects the minio client's multipart uploads: give it one part as large as the object.
    const s3rver = await spawnServer('s3rver', path.join(work, 's3rver'), Math.max(size + 1, 5 * 1024 * 1024));
    children.push(s3rver);

    await embedded.store.ensureBucket(BUCKET);
    const t0 = performance.now();
    await embedded.store.putFile(BUCKET, KEY, file);
    const putMBs = MB / ((performance.now() - t0) / 1000);
    await s3rver.store.ensureBucket(BUCKET);
    // s3rver drops the connection on a single PUT of 200 MB (EPIPE; 100 MB passes): give it at most 100 MB.
    const s3rverSize = Math.min(size, 100_000_000);
    await s3rver.store.putObject(BUCKET, KEY, buf.subarray(0, s3rverSize));

    let s3rverMultipart = 'accepted';
    const s3rverSmallParts = s3rver.store.viaEndpoint(s3rver.store.endpoint.host, s3rver.store.endpoint.port);
    const multipartProbe = new S3ObjectStore({ ...s3rverSmallParts.options, partSize: 5 * 1024 * 1024 });
    await multipartProbe.putObject(BUCKET, 'multipart-probe', buf.subarray(0, 12 * 1024 * 1024), 12 * 1024 * 1024).catch((e: Error) => {
      s3rverMultipart = `refused: ${e.message}`;
    });

    const best = { file: 0, embedded: 0, s3rver: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      best.file = Math.max(best.file, await timed(async () => createReadStream(file, { highWaterMark: 1 << 20 }), size));
      best.embedded = Math.max(best.embedded, await timed(() => embedded.store.getObject(BUCKET, KEY), size));
      best.s3rver = Math.max(best.s3rver, await timed(() => s3rver.store.getObject(BUCKET, KEY), s3rverSize));
    }
    const note = `${MB} MB object, best of ${ROUNDS} alternating rounds, servers in child processes, minio client`;
    return [
      { name: 'GET stream: local file (baseline)', value: best.file, unit: 'MB/s', note },
      { name: 'GET stream: embedded S3 server', value: best.embedded, unit: 'MB/s', baseline: best.file, ratio: best.embedded / best.file, note: 'vs local file' },
      { name: 'GET stream: s3rver', value: best.s3rver, unit: 'MB/s', baseline: best.file, ratio: best.s3rver / best.file, note: `vs local file; ${s3rverSize / 1e6} MB object (s3rver fails a larger single PUT)` },
      { name: 'GET stream: embedded vs s3rver', value: best.embedded, unit: 'MB/s', baseline: best.s3rver, ratio: best.embedded / best.s3rver, target: 'job >= 400 MB/s must not wait on S3' },
      { name: 'putFile: embedded S3 server (multipart, 16 MiB parts)', value: putMBs, unit: 'MB/s', note: 'client hashes md5+sha256 of every part; server checks both' },
      { name: 's3rver: minio multipart upload', value: s3rverMultipart === 'accepted' ? 1 : 0, unit: 'ok', note: s3rverMultipart },
    ];
  } finally {
    for (const c of children) await c.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
