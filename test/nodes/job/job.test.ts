import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { runJob, runJobFrom, runJobOnFile, runJobOnObject } from '../../../nodes/job/job.js';
import { DatasetError } from '../../../nodes/job/errors.js';
import { NotFoundError, UserError } from '../../../model/errors.js';
import { generateDataset } from '../../../dataset/generate.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../../../objectstore/embedded-s3/index.js';
import { openObjectStore } from '../../../objectstore/open.js';
import { readInfraConfig } from '../../../util/config.js';
import type { ObjectStore } from '../../../objectstore/object-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fogsim-job-'));
const file = join(dir, 'data.json');
let expectedAvg: number | null = null;

beforeAll(async () => {
  const g = await generateDataset(file, { records: 3000, seed: 21 });
  expectedAvg = g.avgCholesterol;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runJobOnFile', () => {
  it('averages a generated file exactly like JSON.parse + naive sum', async () => {
    const r = await runJobOnFile(file);
    const arr = JSON.parse(readFileSync(file, 'utf8')) as { cholesterol: number }[];
    let sum = 0;
    for (const x of arr) sum += x.cholesterol;
    expect(r.avg).toBe(sum / arr.length);
    expect(r.avg).toBe(expectedAvg);
    expect(r).toMatchObject({ records: 3000, skipped: 0, bytes: readFileSync(file).length });
    expect(r.etMs).toBeGreaterThanOrEqual(0);
    expect(r.rtMs).toBeGreaterThanOrEqual(r.etMs);
    expect(r.throughput).toBeCloseTo(r.records / (Math.max(r.etMs, 0.001) / 1000), 6);
  });

  it('reads .gz files, counting the uncompressed bytes', async () => {
    const gz = join(dir, 'data.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(file)));
    const r = await runJobOnFile(gz);
    expect(r.avg).toBe(expectedAvg);
    expect(r.bytes).toBe(readFileSync(file).length);
  });

  it('a corrupt .gz is a UserError, not a crash', async () => {
    const gz = join(dir, 'bad.json.gz');
    const z = gzipSync(readFileSync(file));
    writeFileSync(gz, z.subarray(0, z.length >> 1));
    await expect(runJobOnFile(gz)).rejects.toBeInstanceOf(UserError);
  });

  it('missing file: UserError naming the path', async () => {
    await expect(runJobOnFile(join(dir, 'nope.json'))).rejects.toThrow(/data set file not found: .*nope\.json/);
  });

  it('a truncated file gives DatasetError with the offset, never an average', async () => {
    const cut = join(dir, 'cut.json');
    const full = readFileSync(file);
    writeFileSync(cut, full.subarray(0, full.length - 3));
    const err = await runJobOnFile(cut).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).offset).toBe(full.length - 3);
  });

  it('a bad record in the middle of a big file is found at its byte', async () => {
    const bad = join(dir, 'bad.json');
    const text = readFileSync(file, 'latin1');
    const at = text.indexOf('"cholesterol":', text.length >> 1) + '"cholesterol":'.length;
    writeFileSync(bad, `${text.slice(0, at)}12..5${text.slice(at + 5)}`, 'latin1');
    const err = (await runJobOnFile(bad).catch((e: unknown) => e)) as DatasetError;
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.offset).toBe(at + 3);
  });
});

describe('runJob timings', () => {
  it('RT includes the time to open the stream, ET does not', async () => {
    const body = Buffer.from('[{"cholesterol":100},{"cholesterol":"n/a"},{"cholesterol":300}]');
    const r = await runJob(async () => {
      await new Promise((res) => setTimeout(res, 120));
      return Readable.from([body.subarray(0, 10), body.subarray(10)]);
    });
    expect(r).toMatchObject({ avg: 200, records: 3, skipped: 1, bytes: body.length });
    expect(r.rtMs).toBeGreaterThanOrEqual(115);
    expect(r.etMs).toBeLessThan(r.rtMs - 100);
  });

  it('runJobFrom: ET starts when the source says its first request went out; a source that never says has ET = RT', async () => {
    const body = Buffer.from('[{"cholesterol":100},{"cholesterol":300}]');
    const reported = await runJobFrom(async (sink, started) => {
      await new Promise((res) => setTimeout(res, 80)); // connecting
      started();
      await new Promise((res) => setTimeout(res, 120)); // the request's latency
      started(); // only the first call counts
      sink(body);
    });
    expect(reported).toMatchObject({ avg: 200, records: 2 });
    expect(reported.rtMs).toBeGreaterThanOrEqual(195);
    expect(reported.etMs).toBeGreaterThanOrEqual(115);
    expect(reported.etMs).toBeLessThan(reported.rtMs - 70);
    const silent = await runJobFrom(async (sink) => {
      await new Promise((res) => setTimeout(res, 50));
      sink(body);
    });
    expect(silent.etMs).toBe(silent.rtMs);
  });

  it('a stream that fails mid-way gives a UserError saying how far it got', async () => {
    async function* broken() {
      yield Buffer.from('[{"cholesterol":1},');
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    await expect(runJob(async () => Readable.from(broken()))).rejects.toThrow(/reading the data set failed after 19 bytes: socket hang up/);
  });

  it('string chunks (a stream with an encoding) are handled', async () => {
    const r = await runJob(async () => Readable.from(['[{"cholesterol":', '1.5}]']));
    expect(r.avg).toBe(1.5);
  });
});

describe('runJobOnObject through the embedded S3 server', () => {
  let s3: EmbeddedS3;
  let objects: ObjectStore;
  beforeAll(async () => {
    s3 = await startEmbeddedS3({ dir: join(dir, 's3'), host: '127.0.0.1', port: 0 });
    objects = openObjectStore({ ...readInfraConfig({}), dataDir: dir }, s3);
    await objects.ensureBucket('node-3');
    await objects.putFile('node-3', 'bloodtests.json', file);
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('streams the object and gives the same average as the file', async () => {
    const r = await runJobOnObject(objects, 'node-3', 'bloodtests.json');
    expect(r.avg).toBe(expectedAvg);
    expect(r.records).toBe(3000);
  });

  it('in ranges: the same average, ET within RT; a ranged read of a missing object is the same UserError', async () => {
    const size = readFileSync(file).length;
    for (const rangeBytes of [64 * 1024, 100_001, size, size * 2]) {
      const r = await runJobOnObject(objects, 'node-3', 'bloodtests.json', { rangeBytes, timeoutMs: 30_000 });
      expect(r.avg, `rangeBytes ${rangeBytes}`).toBe(expectedAvg);
      expect(r).toMatchObject({ records: 3000, bytes: size });
      expect(r.etMs).toBeGreaterThan(0);
      expect(r.etMs).toBeLessThanOrEqual(r.rtMs);
    }
    await expect(runJobOnObject(objects, 'node-3', 'nope.json', { rangeBytes: 1000 })).rejects.toThrow(/s3:\/\/node-3\/nope\.json not found/);
  });

  it('an already aborted signal: the job fails at once, naming the object', async () => {
    await expect(runJobOnObject(objects, 'node-3', 'bloodtests.json', { signal: AbortSignal.abort() })).rejects.toThrow('job aborted while reading node-3/bloodtests.json');
  });

  it('missing object or bucket: NotFoundError, no average', async () => {
    await expect(runJobOnObject(objects, 'node-3', 'nope.json')).rejects.toBeInstanceOf(NotFoundError);
    await expect(runJobOnObject(objects, 'node-9', 'bloodtests.json')).rejects.toThrow(/node-9/);
  });
});
