import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as Minio from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedS3, type EmbeddedS3 } from '../../objectstore/embedded-s3/index.js';

/*
 * S3 conformance: the same client checks against the embedded S3 twin and against MinIO
 * (FOGSIM_S3_ENDPOINT), with boto3 and aws-cli (the venv of scripts/real/s3-clients.sh), mc (built
 * by the same script) and the minio JS client, and one table of both. The twin must pass every
 * check MinIO passes. In CI a missing client or a missing MinIO fails; outside CI, run
 * `bash scripts/real/up.sh minio s3-clients && . /tmp/fogsim-real/env.sh` first.
 */
const run = promisify(execFile);
const MiB = 1024 * 1024;

interface Target {
  name: string;
  endpoint: string;
  accessKey: string;
  secretKey: string;
}
interface Check {
  check: string;
  ok: boolean;
  detail: string;
}
type Client = { name: string; missing?: string; checks(t: Target, bucket: string, work: string): Promise<Check[]> };

/** runs named checks in order, recording each failure instead of stopping */
async function checks(list: [string, () => Promise<string | void>][]): Promise<Check[]> {
  const out: Check[] = [];
  for (const [check, fn] of list) {
    try {
      out.push({ check, ok: true, detail: (await fn()) ?? '' });
    } catch (err) {
      out.push({ check, ok: false, detail: String((err as Error).message ?? err).slice(0, 300) });
    }
  }
  return out;
}

function ensure(cond: unknown, what: string): void {
  if (!cond) throw new Error(what);
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** the client paths scripts/real/s3-clients.sh exports */
const python = process.env.FOGSIM_S3_CLIENTS_PYTHON;
const aws = process.env.FOGSIM_S3_CLIENTS_AWS;
const mc = process.env.FOGSIM_S3_CLIENTS_MC;
const missing = (what: string, path: string | undefined) =>
  path && existsSync(path) ? undefined : `${what} not found (${path ?? 'unset'}): run bash scripts/real/s3-clients.sh install, or scripts/real/up.sh, and source $FOGSIM_REAL_DIR/env.sh`;

const boto3: Client = {
  name: 'boto3',
  missing: missing('FOGSIM_S3_CLIENTS_PYTHON (boto3 venv)', python),
  async checks(t, bucket) {
    const script = join(import.meta.dirname, 's3-clients', 'boto3_checks.py');
    const { stdout } = await run(python!, [script, t.endpoint, t.accessKey, t.secretKey, bucket], { maxBuffer: 16 * MiB, timeout: 120_000 });
    return (JSON.parse(stdout) as { checks: Check[] }).checks;
  },
};

const awsCli: Client = {
  name: 'aws-cli',
  missing: missing('FOGSIM_S3_CLIENTS_AWS (aws-cli venv)', aws),
  async checks(t, bucket, work) {
    const config = join(work, 'aws-config');
    writeFileSync(config, '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n');
    const env = { ...process.env, AWS_ACCESS_KEY_ID: t.accessKey, AWS_SECRET_ACCESS_KEY: t.secretKey, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: join(work, 'none'), AWS_MAX_ATTEMPTS: '1', AWS_PAGER: '' };
    const cli = async (...args: string[]) => (await run(aws!, ['--endpoint-url', t.endpoint, ...args], { env, maxBuffer: 64 * MiB, timeout: 120_000 })).stdout;
    const api = async (...args: string[]) => JSON.parse((await cli('s3api', ...args, '--output', 'json')) || '{}') as Record<string, unknown>;
    const small = join(work, 'small.txt');
    writeFileSync(small, 'hello from aws-cli');
    const big = join(work, 'big.bin');
    const bigBytes = randomBytes(12 * MiB);
    writeFileSync(big, bigBytes);
    await cli('s3api', 'create-bucket', '--bucket', bucket).catch(() => undefined);
    const u = `s3://${bucket}`;
    return checks([
      ['put/get/head/delete', async () => {
        await cli('s3', 'cp', small, `${u}/cli/a.txt`);
        ensure((await cli('s3', 'cp', `${u}/cli/a.txt`, '-')) === 'hello from aws-cli', 'GET bytes');
        ensure((await api('head-object', '--bucket', bucket, '--key', 'cli/a.txt')).ContentLength === 18, 'HEAD size');
        await cli('s3', 'rm', `${u}/cli/a.txt`);
        const gone = await cli('s3api', 'head-object', '--bucket', bucket, '--key', 'cli/a.txt').then(() => 'found', (e: Error) => e.message);
        ensure(/\(404\)|Not Found/.test(gone), `HEAD after rm: ${gone}`);
      }],
      ['user metadata and content type', async () => {
        await cli('s3', 'cp', small, `${u}/cli/m.txt`, '--metadata', 'colour=blue', '--content-type', 'text/x-cli');
        const h = await api('head-object', '--bucket', bucket, '--key', 'cli/m.txt');
        ensure(JSON.stringify(h.Metadata) === '{"colour":"blue"}' && h.ContentType === 'text/x-cli', `HEAD ${JSON.stringify(h.Metadata)} ${String(h.ContentType)}`);
      }],
      ['copy keeps metadata (COPY), replaces it (REPLACE)', async () => {
        await api('copy-object', '--bucket', bucket, '--key', 'cli/kept', '--copy-source', `${bucket}/cli/m.txt`);
        const kept = await api('head-object', '--bucket', bucket, '--key', 'cli/kept');
        ensure(JSON.stringify(kept.Metadata) === '{"colour":"blue"}' && kept.ContentType === 'text/x-cli', `COPY ${JSON.stringify(kept.Metadata)}`);
        await api('copy-object', '--bucket', bucket, '--key', 'cli/replaced', '--copy-source', `${bucket}/cli/m.txt`, '--metadata-directive', 'REPLACE', '--metadata', 'colour=red', '--content-type', 'text/x-new');
        const rep = await api('head-object', '--bucket', bucket, '--key', 'cli/replaced');
        ensure(JSON.stringify(rep.Metadata) === '{"colour":"red"}' && rep.ContentType === 'text/x-new', `REPLACE ${JSON.stringify(rep.Metadata)} ${String(rep.ContentType)}`);
      }],
      ['list v2 with prefix and delimiter', async () => {
        for (const k of ['cli/l/a/1', 'cli/l/a/2', 'cli/l/b']) await cli('s3', 'cp', small, `${u}/${k}`);
        const r = await api('list-objects-v2', '--bucket', bucket, '--prefix', 'cli/l/', '--delimiter', '/');
        const keys = ((r.Contents ?? []) as { Key: string }[]).map((c) => c.Key);
        const prefixes = ((r.CommonPrefixes ?? []) as { Prefix: string }[]).map((c) => c.Prefix);
        ensure(JSON.stringify([keys, prefixes]) === '[["cli/l/b"],["cli/l/a/"]]', `keys ${keys} prefixes ${prefixes}`);
        ensure((await cli('s3', 'ls', `${u}/cli/l/`)).includes('PRE a/'), 'aws s3 ls shows the common prefix');
      }],
      ['multipart upload by aws s3 cp (12 MiB)', async () => {
        await cli('s3', 'cp', big, `${u}/cli/big.bin`);
        const h = await api('head-object', '--bucket', bucket, '--key', 'cli/big.bin');
        ensure(h.ContentLength === 12 * MiB && /-\d+"$/.test(String(h.ETag)), `size ${String(h.ContentLength)} etag ${String(h.ETag)}`);
        const back = join(work, 'big.back');
        await cli('s3', 'cp', `${u}/cli/big.bin`, back);
        const { readFileSync } = await import('node:fs');
        ensure(sha(readFileSync(back)) === sha(bigBytes), 'bytes read back');
      }],
      ['multipart: list parts, list uploads, abort', async () => {
        const { UploadId } = (await api('create-multipart-upload', '--bucket', bucket, '--key', 'cli/mp')) as { UploadId: string };
        await api('upload-part', '--bucket', bucket, '--key', 'cli/mp', '--upload-id', UploadId, '--part-number', '1', '--body', small);
        const parts = ((await api('list-parts', '--bucket', bucket, '--key', 'cli/mp', '--upload-id', UploadId)).Parts ?? []) as { PartNumber: number; Size: number }[];
        ensure(parts.length === 1 && parts[0].PartNumber === 1 && parts[0].Size === 18, `parts ${JSON.stringify(parts)}`);
        const ups = ((await api('list-multipart-uploads', '--bucket', bucket, '--prefix', 'cli/mp')).Uploads ?? []) as { UploadId: string }[];
        ensure(ups.some((x) => x.UploadId === UploadId), `uploads ${JSON.stringify(ups)}`);
        await cli('s3api', 'abort-multipart-upload', '--bucket', bucket, '--key', 'cli/mp', '--upload-id', UploadId);
        const after = ((await api('list-multipart-uploads', '--bucket', bucket, '--prefix', 'cli/mp')).Uploads ?? []) as { UploadId: string }[];
        ensure(!after.some((x) => x.UploadId === UploadId), 'aborted upload still listed');
      }],
      ['presigned GET (aws s3 presign)', async () => {
        const url = (await cli('s3', 'presign', `${u}/cli/m.txt`, '--expires-in', '300')).trim();
        const res = await fetch(url);
        ensure(res.status === 200 && (await res.text()) === 'hello from aws-cli', `presigned GET ${res.status}`);
      }],
      ['ranges', async () => {
        const out = join(work, 'range.out');
        const r = await api('get-object', '--bucket', bucket, '--key', 'cli/m.txt', '--range', 'bytes=6-9', out);
        const { readFileSync } = await import('node:fs');
        ensure(readFileSync(out, 'utf8') === 'from' && r.ContentRange === 'bytes 6-9/18', `range ${String(r.ContentRange)}`);
      }],
      ['bad keys rejected with 400', async () => {
        const codes: string[] = [];
        for (const key of ['x/../../conf-evil', '../x', './x/./y']) {
          const err = await cli('s3api', 'put-object', '--bucket', bucket, '--key', key, '--body', small).then(() => `accepted ${key}`, (e: Error) => e.message);
          const m = /An error occurred \((\w+)\)/.exec(err);
          ensure(m && m[1] !== 'SignatureDoesNotMatch', `${key}: ${err.slice(0, 200)}`);
          codes.push(m![1]);
        }
        const buckets = await cli('s3', 'ls');
        ensure(!/conf-evil/.test(buckets), 'a bucket conf-evil was created');
        return [...new Set(codes)].join(', ');
      }],
    ]);
  },
};

const mcClient: Client = {
  name: 'mc',
  missing: missing('FOGSIM_S3_CLIENTS_MC (mc)', mc),
  async checks(t, bucket, work) {
    const url = new URL(t.endpoint);
    const env = { ...process.env, MC_CONFIG_DIR: join(work, 'mc'), MC_HOST_s: `${url.protocol}//${encodeURIComponent(t.accessKey)}:${encodeURIComponent(t.secretKey)}@${url.host}` };
    const m = async (...args: string[]) => (await run(mc!, ['--no-color', ...args], { env, maxBuffer: 64 * MiB, timeout: 120_000 })).stdout;
    const json = async (...args: string[]) => (await m('--json', ...args)).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const small = join(work, 'mc-small.txt');
    writeFileSync(small, 'hello from mc');
    const big = join(work, 'mc-big.bin');
    const bigBytes = randomBytes(12 * MiB);
    writeFileSync(big, bigBytes);
    const b = `s/${bucket}`;
    await m('mb', '-p', b);
    return checks([
      ['put (streaming signed) / cat / stat / rm', async () => {
        await m('cp', small, `${b}/mc/a.txt`);
        ensure((await m('cat', `${b}/mc/a.txt`)) === 'hello from mc', 'cat bytes');
        const [st] = await json('stat', `${b}/mc/a.txt`);
        ensure(st.size === 13, `stat size ${String(st.size)}`);
        await m('rm', `${b}/mc/a.txt`);
        const gone = await m('stat', `${b}/mc/a.txt`).then(() => 'found', (e: Error) => e.message);
        ensure(gone !== 'found', 'stat after rm');
      }],
      ['user metadata and content type (--attr)', async () => {
        await m('cp', '--attr', 'colour=blue;Content-Type=text/x-mc', small, `${b}/mc/m.txt`);
        const [st] = await json('stat', `${b}/mc/m.txt`);
        const meta = st.metadata as Record<string, string>;
        ensure(meta['X-Amz-Meta-Colour'] === 'blue' && meta['Content-Type'] === 'text/x-mc', `metadata ${JSON.stringify(meta)}`);
      }],
      ['server-side copy keeps metadata', async () => {
        await m('cp', `${b}/mc/m.txt`, `${b}/mc/copy.txt`);
        const [st] = await json('stat', `${b}/mc/copy.txt`);
        const meta = st.metadata as Record<string, string>;
        ensure((await m('cat', `${b}/mc/copy.txt`)) === 'hello from mc' && meta['X-Amz-Meta-Colour'] === 'blue', `copy metadata ${JSON.stringify(meta)}`);
      }],
      ['ls with prefix', async () => {
        for (const k of ['mc/l/a/1', 'mc/l/b']) await m('cp', small, `${b}/${k}`);
        const keys = (await json('ls', `${b}/mc/l/`)).map((e) => String(e.key)).sort();
        ensure(JSON.stringify(keys) === '["a/","b"]', `ls ${JSON.stringify(keys)}`);
      }],
      ['multipart streaming upload (12 MiB)', async () => {
        await m('cp', big, `${b}/mc/big.bin`);
        const back = await run(mc!, ['cat', `${b}/mc/big.bin`], { env, encoding: 'buffer', maxBuffer: 64 * MiB });
        ensure(sha(back.stdout) === sha(bigBytes), 'bytes read back');
      }],
      ['presigned GET (mc share download)', async () => {
        const [share] = await json('share', 'download', `${b}/mc/m.txt`);
        const res = await fetch(String(share.share));
        ensure(res.status === 200 && (await res.text()) === 'hello from mc', `presigned ${res.status}`);
      }],
    ]);
  },
};

const minioJs: Client = {
  name: 'minio-js',
  async checks(t, bucket) {
    const url = new URL(t.endpoint);
    const c = new Minio.Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: t.accessKey, secretKey: t.secretKey, region: 'us-east-1', pathStyle: true });
    if (!(await c.bucketExists(bucket))) await c.makeBucket(bucket);
    const text = async (s: NodeJS.ReadableStream) => {
      const parts: Buffer[] = [];
      for await (const p of s) parts.push(p as Buffer);
      return Buffer.concat(parts);
    };
    return checks([
      ['put/get/stat/remove', async () => {
        await c.putObject(bucket, 'js/a.txt', Buffer.from('hello from js'));
        ensure((await text(await c.getObject(bucket, 'js/a.txt'))).toString() === 'hello from js', 'GET bytes');
        ensure((await c.statObject(bucket, 'js/a.txt')).size === 13, 'stat size');
        await c.removeObject(bucket, 'js/a.txt');
        ensure(await c.statObject(bucket, 'js/a.txt').then(() => false, () => true), 'stat after remove fails');
      }],
      ['user metadata and content type', async () => {
        await c.putObject(bucket, 'js/m.txt', Buffer.from('m'), 1, { 'Content-Type': 'text/x-js', 'X-Amz-Meta-Colour': 'blue' });
        const st = await c.statObject(bucket, 'js/m.txt');
        ensure(st.metaData.colour === 'blue' && st.metaData['content-type'] === 'text/x-js', `metaData ${JSON.stringify(st.metaData)}`);
      }],
      ['copy keeps metadata (COPY), replaces it (REPLACE)', async () => {
        await c.copyObject(new Minio.CopySourceOptions({ Bucket: bucket, Object: 'js/m.txt' }), new Minio.CopyDestinationOptions({ Bucket: bucket, Object: 'js/kept' }));
        ensure((await c.statObject(bucket, 'js/kept')).metaData.colour === 'blue', 'COPY kept');
        await c.copyObject(
          new Minio.CopySourceOptions({ Bucket: bucket, Object: 'js/m.txt' }),
          new Minio.CopyDestinationOptions({ Bucket: bucket, Object: 'js/replaced', MetadataDirective: 'REPLACE', UserMetadata: { colour: 'red' } }),
        );
        const rep = (await c.statObject(bucket, 'js/replaced')).metaData;
        ensure(rep.colour === 'red', `REPLACE ${JSON.stringify(rep)}`);
      }],
      ['list v2 with prefix and delimiter', async () => {
        for (const k of ['js/l/a/1', 'js/l/b']) await c.putObject(bucket, k, Buffer.from('.'));
        const names: string[] = [];
        for await (const o of c.listObjectsV2(bucket, 'js/l/', false)) names.push((o as { name?: string; prefix?: string }).name ?? (o as { prefix: string }).prefix);
        ensure(JSON.stringify(names.sort()) === '["js/l/a/","js/l/b"]', `listed ${JSON.stringify(names)}`);
      }],
      ['multipart: upload, list uploads, abort', async () => {
        const big = randomBytes(11 * MiB);
        await c.putObject(bucket, 'js/big', big, big.length, {}, );
        ensure(sha(await text(await c.getObject(bucket, 'js/big'))) === sha(big), 'multipart bytes');
        const id = await c.initiateNewMultipartUpload(bucket, 'js/pending', {});
        const ups: string[] = [];
        for await (const u of c.listIncompleteUploads(bucket, 'js/pending', true)) ups.push((u as { uploadId: string }).uploadId);
        ensure(ups.includes(id), `incomplete uploads ${JSON.stringify(ups)}`);
        await c.abortMultipartUpload(bucket, 'js/pending', id);
      }],
      ['presigned GET', async () => {
        const res = await fetch(await c.presignedGetObject(bucket, 'js/m.txt', 300));
        ensure(res.status === 200 && (await res.text()) === 'm', `presigned ${res.status}`);
      }],
      ['ranges', async () => {
        await c.putObject(bucket, 'js/r', Buffer.from('0123456789'));
        ensure((await text(await c.getPartialObject(bucket, 'js/r', 2, 4))).toString() === '2345', 'offset 2 length 4');
      }],
    ]);
  },
};

const CLIENTS = [boto3, awsCli, mcClient, minioJs];
const realEndpoint = process.env.FOGSIM_S3_ENDPOINT;

describe('S3 conformance: the embedded twin and MinIO with boto3, aws-cli, mc and minio-js', () => {
  let twin: EmbeddedS3;
  let work: string;
  const twinCreds = { accessKey: `ak${randomBytes(6).toString('hex')}`, secretKey: randomBytes(20).toString('hex') };
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'fogsim-s3conf-'));
    twin = await startEmbeddedS3({ dir: join(work, 'twin'), credentials: twinCreds });
  });
  afterAll(async () => {
    await twin?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('has every client and MinIO (in CI a missing one fails)', () => {
    const absent = [...CLIENTS.map((c) => c.missing).filter(Boolean), ...(realEndpoint ? [] : ['FOGSIM_S3_ENDPOINT is unset: start MinIO with bash scripts/real/up.sh minio'])];
    if (process.env.CI) expect(absent).toEqual([]);
    else if (absent.length) console.warn(`S3 conformance: left out here (fails in CI): ${absent.join('; ')}`);
  });

  it('the twin passes every check MinIO passes; the table of both', async () => {
    const targets: Target[] = [{ name: 'twin', endpoint: twin.url, ...twinCreds }];
    if (realEndpoint) targets.push({ name: 'MinIO', endpoint: realEndpoint, accessKey: process.env.FOGSIM_S3_ACCESS_KEY ?? '', secretKey: process.env.FOGSIM_S3_SECRET_KEY ?? '' });
    const rows = new Map<string, Record<string, Check>>();
    const bucket = `conf-${randomBytes(4).toString('hex')}`;
    for (const client of CLIENTS.filter((c) => !c.missing)) {
      for (const t of targets) {
        const dir = mkdtempSync(join(work, `${client.name}-${t.name}-`));
        let results: Check[];
        try {
          results = await client.checks(t, `${bucket}-${client.name.replace(/[^a-z0-9]/g, '')}`, dir);
        } catch (err) {
          results = [{ check: '(client run)', ok: false, detail: String((err as Error).message).slice(0, 300) }];
        }
        for (const r of results) {
          const row = rows.get(`${client.name} | ${r.check}`) ?? {};
          row[t.name] = r;
          rows.set(`${client.name} | ${r.check}`, row);
        }
      }
    }
    const cell = (c?: Check) => (!c ? 'n/a' : c.ok ? `pass${c.detail ? ` (${c.detail.slice(0, 60)})` : ''}` : `FAIL: ${c.detail.slice(0, 140)}`);
    const lines = ['| client | check | twin | MinIO |', '| --- | --- | --- | --- |'];
    for (const [name, row] of rows) lines.push(`| ${name.replace(' | ', ' | ')} | ${cell(row.twin)} | ${cell(row.MinIO)} |`);
    const passed = (n: string) => [...rows.values()].filter((r) => r[n]?.ok).length;
    lines.push(`twin ${passed('twin')}/${rows.size}, MinIO ${realEndpoint ? `${passed('MinIO')}/${rows.size}` : 'not run'}`);
    console.log(`S3 conformance\n${lines.join('\n')}`);
    const twinMisses = [...rows].filter(([, r]) => !r.twin?.ok && (r.MinIO?.ok ?? true)).map(([n, r]) => `${n}: ${r.twin?.detail ?? 'not run'}`);
    expect(twinMisses).toEqual([]);
    // a check MinIO fails is a wrong check (or a MinIO change to look at), never a silent pass
    const minioMisses = [...rows].filter(([, r]) => r.MinIO && !r.MinIO.ok).map(([n, r]) => `${n}: ${r.MinIO!.detail}`);
    expect(minioMisses).toEqual([]);
  });
});
