import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedS3, type EmbeddedS3 } from '../../objectstore/embedded-s3/index.js';
import { S3ObjectStore } from '../../objectstore/s3-object-store.js';

/** What the contract suite cannot ask through the ObjectStore interface: wire details of the embedded server. */

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const KEYS = { accessKey: 'fogsim', secretKey: 'fogsim-secret' };

describe('embedded S3 server', () => {
  let dir: string;
  let server: EmbeddedS3;
  let store: S3ObjectStore;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fogsim-s3e-'));
    server = await startEmbeddedS3({ dir, credentials: KEYS });
    store = new S3ObjectStore({ ...server.endpoint, accessKey: 'fogsim', secretKey: 'fogsim-secret' });
    await store.ensureBucket('node-1');
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses unsigned requests with an S3 XML AccessDenied', async () => {
    const res = await fetch(`${server.url}/node-1/x`);
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain('<Resource>/node-1/x</Resource>');
  });

  it('refuses a wrong secret with SignatureDoesNotMatch and a wrong key with InvalidAccessKeyId', async () => {
    const wrongSecret = new S3ObjectStore({ ...server.endpoint, accessKey: 'fogsim', secretKey: 'nope' });
    await expect(wrongSecret.listBuckets()).rejects.toThrow(/refused the credentials \(SignatureDoesNotMatch\).*FOGSIM_S3_SECRET_KEY/);
    const wrongKey = new S3ObjectStore({ ...server.endpoint, accessKey: 'other', secretKey: 'fogsim-secret' });
    await expect(wrongKey.listBuckets()).rejects.toThrow(/InvalidAccessKeyId/);
  });

  it('serves presigned GET URLs, and refuses them tampered, expired or signed with another secret', async () => {
    await store.putObject('node-1', 'signed key', Buffer.from('presigned body'));
    const url = await store.client.presignedGetObject('node-1', 'signed key', 60);
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('presigned body');
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    const bad = await fetch(tampered);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    // another key: the signature covers the path
    const other = await fetch(url.replace('signed%20key', 'other'));
    expect(other.status).toBe(403);
    const old = await store.client.presignedGetObject('node-1', 'signed key', 60, {}, new Date(Date.now() - 3600_000));
    const expired = await fetch(old);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/<Code>AccessDenied<\/Code><Message>Request has expired/);
    const wrong = new S3ObjectStore({ ...server.endpoint, accessKey: 'fogsim', secretKey: 'nope' });
    const forged = await fetch(await wrong.client.presignedGetObject('node-1', 'signed key', 60));
    expect(forged.status).toBe(403);
    const noExpiry = await fetch(url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=9999999'));
    expect(noExpiry.status).toBe(400);
    expect(await noExpiry.text()).toContain('<Code>AuthorizationQueryParametersError</Code>');
  });

  it('answers NoSuchKey / NoSuchBucket with status 404 and an XML body naming the resource', async () => {
    const open = await startEmbeddedS3({ dir: path.join(dir, 'open'), credentials: false });
    try {
      await fetch(`${open.url}/b-1`, { method: 'PUT' });
      const res = await fetch(`${open.url}/b-1/missing%20key`);
      expect(res.status).toBe(404);
      const body = await res.text();
      expect(body).toMatch(/<Code>NoSuchKey<\/Code>.*<BucketName>b-1<\/BucketName><Key>missing key<\/Key>/);
      const res2 = await fetch(`${open.url}/b-2/k`);
      expect(res2.status).toBe(404);
      expect(await res2.text()).toContain('<Code>NoSuchBucket</Code>');
      const res3 = await fetch(`${open.url}/b-1`, { method: 'DELETE' });
      expect(res3.status).toBe(204);
    } finally {
      await open.close();
    }
  });

  it('serves byte ranges (206, Content-Range)', async () => {
    const bytes = Buffer.from('0123456789abcdef');
    await store.putObject('node-1', 'range', bytes);
    expect((await readAll(await store.client.getPartialObject('node-1', 'range', 4, 6))).toString()).toBe('456789');
    expect((await readAll(await store.client.getPartialObject('node-1', 'range', 10))).toString()).toBe('abcdef');
  });

  it('honours If-Match on GET and HEAD: 412 PreconditionFailed when the object is another version', async () => {
    await store.putObject('node-1', 'ifmatch', Buffer.from('version one'));
    const etag = (await store.statObject('node-1', 'ifmatch'))!.etag!;
    const url = await store.client.presignedGetObject('node-1', 'ifmatch', 60);
    const ok = await fetch(url, { headers: { Range: 'bytes=0-6', 'If-Match': `"${etag}"` } });
    expect(ok.status).toBe(206);
    expect(await ok.text()).toBe('version');
    await store.putObject('node-1', 'ifmatch', Buffer.from('version two'));
    const stale = await fetch(url, { headers: { Range: 'bytes=8-10', 'If-Match': `"${etag}"` } });
    expect(stale.status).toBe(412);
    expect(await stale.text()).toMatch(/<Code>PreconditionFailed<\/Code>/);
    const any = await fetch(url, { headers: { Range: 'bytes=8-10', 'If-Match': '*' } });
    expect(await any.text()).toBe('two');
  });

  it('serves ranges across its 1 MiB read buffers, and a client leaving mid-download leaves no open file behind', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 124);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
    await store.putObject('node-1', 'big-range', big);
    const start = 1024 * 1024 - 7;
    const got = await readAll(await store.client.getPartialObject('node-1', 'big-range', start, 3 * 1024 * 1024));
    expect(got.equals(big.subarray(start, start + 3 * 1024 * 1024))).toBe(true);
    // files of this server's folder held open by this process
    const fds = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
        } catch {
          return false;
        }
      }).length;
    const before = fds();
    for (let k = 0; k < 5; k++) {
      const stream = await store.getObject('node-1', 'big-range');
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.destroy();
    }
    // the server notices each closed connection, stops reading and closes its file
    for (let t = 0; t < 50 && fds() > before; t++) await new Promise((r) => setTimeout(r, 50));
    expect(fds()).toBe(before);
    expect((await readAll(await store.getObject('node-1', 'big-range'))).equals(big)).toBe(true);
  });

  it('pages listings: max-keys, continuation tokens and common prefixes', async () => {
    for (const k of ['p/a/1', 'p/a/2', 'p/b', 'p/c/1', 'p/d']) await store.putObject('node-1', k, Buffer.from(k));
    const page1 = await store.client.listObjectsV2Query('node-1', 'p/', '', '/', 2, '');
    expect(page1.objects.map((o) => o.prefix ?? o.name)).toEqual(['p/b', 'p/a/']);
    expect(page1.isTruncated).toBe(true);
    const page2 = await store.client.listObjectsV2Query('node-1', 'p/', page1.nextContinuationToken, '/', 2, '');
    expect(page2.objects.map((o) => o.prefix ?? o.name)).toEqual(['p/d', 'p/c/']);
    // Exactly filled and nothing left: not truncated (as S3 answers).
    expect(page2.isTruncated).toBe(false);
  });

  it('deletes an empty bucket and refuses to delete a full one', async () => {
    await store.ensureBucket('node-9');
    await store.putObject('node-9', 'k', Buffer.from('x'));
    await expect(store.deleteBucket('node-9')).rejects.toThrow(/BucketNotEmpty|not empty/);
    await store.deleteObject('node-9', 'k');
    await store.deleteBucket('node-9');
    expect(await store.listBuckets()).not.toContain('node-9');
  });

  it('keeps objects across a restart on the same folder and leaves no temp or orphan blobs', async () => {
    await store.putObject('node-1', 'persist', Buffer.from('still here'));
    await store.putObject('node-1', 'persist', Buffer.from('still here, v2'));
    await store.copyObject('node-1', 'persist', 'node-1', 'persist-copy');
    await server.close();
    server = await startEmbeddedS3({ dir, port: server.endpoint.port, credentials: KEYS });
    expect((await readAll(await store.getObject('node-1', 'persist'))).toString()).toBe('still here, v2');
    expect(readdirSync(path.join(dir, '.tmp'))).toEqual([]);
    // Every blob is referenced by a pointer: overwrites freed the old bytes.
    const objects = (await store.listObjects('node-1')).length;
    expect(readdirSync(path.join(dir, '.blobs')).length).toBe(objects);
  });
});
