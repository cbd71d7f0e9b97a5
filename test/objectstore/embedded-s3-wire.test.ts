import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedS3, type EmbeddedS3 } from '../../objectstore/embedded-s3/index.js';
import { presignV2, rawChunkedPut, rawGet, rawS3, rawS3V2, xmlValues, type RawTarget } from '../helpers/s3-raw.js';

/*
 * The embedded S3 server on the wire, as the defects of issue 18 were measured against MinIO:
 * requests go out byte for byte (raw paths, aws-chunked bodies, SigV2), so no client library
 * hides what the server does. test/real/s3-conformance.test.ts runs real clients against it and MinIO.
 */
const MiB = 1024 * 1024;

describe('embedded S3 server, as real S3 clients see it', () => {
  let dir: string;
  let server: EmbeddedS3;
  let t: RawTarget;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fogsim-s3w-'));
    const credentials = { accessKey: 'wire-ak', secretKey: 'wire-secret-key' };
    server = await startEmbeddedS3({ dir, credentials });
    t = { ...server.endpoint, ...credentials };
    expect((await rawS3(t, 'PUT', '/node-1')).status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const buckets = () => readdirSync(dir).filter((n) => !n.startsWith('.'));

  describe('keys', () => {
    it.each([
      ['x/../../conf-evil', 'XMinioInvalidResourceName'],
      ['%2E%2E/%2E%2E/raw2', 'XMinioInvalidResourceName'],
      ['./x/./y', 'XMinioInvalidResourceName'],
      ['../fogsim.db', 'XMinioInvalidResourceName'],
      ['a/.', 'XMinioInvalidResourceName'],
      ['a//b', 'XMinioInvalidObjectName'],
      ['a%00b', 'XMinioInvalidObjectName'],
      ['k'.repeat(1025), 'KeyTooLongError'],
    ])('refuses key %s with 400 %s, creating nothing, never rewriting it', async (key, code) => {
      const res = await rawS3(t, 'PUT', `/node-1/${key}`, { body: 'evil' });
      expect(res.status).toBe(400);
      expect(xmlValues(res.text, 'Code')).toEqual([code]);
      expect(buckets()).toEqual(['node-1']);
      // nothing stored under a normalised name either
      for (const k of ['conf-evil', 'raw2', 'x/y', 'fogsim.db', 'a', 'a/b']) expect((await rawS3(t, 'HEAD', `/node-1/${k}`)).status).toBe(404);
      expect(existsSync(path.join(path.dirname(dir), 'conf-evil'))).toBe(false);
    });

    it('keeps keys that only look like dot segments, and a 1024-byte key', async () => {
      for (const key of ['.hidden', '..a', 'a/..b', 'x.', `${'k/'.repeat(100)}z`]) {
        expect((await rawS3(t, 'PUT', `/node-1/${encodeURI(key)}`, { body: key })).status, key).toBe(200);
        expect((await rawS3(t, 'GET', `/node-1/${encodeURI(key)}`)).text).toBe(key);
      }
      const list = await rawS3(t, 'GET', '/node-1?list-type=2&prefix=.');
      expect(xmlValues(list.text, 'Key')).toEqual(['..a', '.hidden']);
    });

    it('refuses a copy whose source key has dot segments', async () => {
      const res = await rawS3(t, 'PUT', '/node-1/copy-target', { headers: { 'x-amz-copy-source': '/node-1/x/../../etc' } });
      expect(res.status).toBe(400);
      expect(xmlValues(res.text, 'Code')).toEqual(['XMinioInvalidResourceName']);
    });
  });

  describe('aws-chunked streaming bodies', () => {
    const payload = Buffer.from(Array.from({ length: 300 * 1024 }, (_, i) => (i * 7) % 251));

    it('stores a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body after checking every chunk signature', async () => {
      const res = await rawChunkedPut(t, '/node-1/stream/signed', payload, { headers: { 'content-type': 'text/x-stream' } });
      expect(res.status, res.text).toBe(200);
      const got = await rawS3(t, 'GET', '/node-1/stream/signed');
      expect(got.body.equals(payload)).toBe(true);
      expect(got.headers['content-type']).toBe('text/x-stream');
      expect(got.headers['content-encoding']).toBeUndefined(); // aws-chunked was the transfer, not the object
    });

    it('refuses a body altered after signing with 403 SignatureDoesNotMatch and stores nothing', async () => {
      const res = await rawChunkedPut(t, '/node-1/stream/tampered', payload, { tamper: true });
      expect(res.status).toBe(403);
      expect(xmlValues(res.text, 'Code')).toEqual(['SignatureDoesNotMatch']);
      expect((await rawS3(t, 'HEAD', '/node-1/stream/tampered')).status).toBe(404);
    });

    it('stores a STREAMING-UNSIGNED-PAYLOAD-TRAILER body (plain chunks, checksum trailer)', async () => {
      const res = await rawChunkedPut(t, '/node-1/stream/trailer', payload, { mode: 'unsigned-trailer', chunkSize: 8192 });
      expect(res.status, res.text).toBe(200);
      expect((await rawS3(t, 'GET', '/node-1/stream/trailer')).body.equals(payload)).toBe(true);
    });

    it('refuses a decoded length that does not match the body', async () => {
      const res = await rawChunkedPut(t, '/node-1/stream/short', payload, { headers: { 'x-amz-decoded-content-length': String(payload.length + 1) } });
      expect(res.status).toBe(400);
      expect(xmlValues(res.text, 'Code')).toEqual(['IncompleteBody']);
    });
  });

  describe('metadata', () => {
    it('stores x-amz-meta-* and Content-Type; CopyObject keeps them (COPY) or replaces them (REPLACE)', async () => {
      const put = await rawS3(t, 'PUT', '/node-1/meta/src', { body: 'm', headers: { 'content-type': 'text/x-src', 'x-amz-meta-colour': 'blue', 'cache-control': 'max-age=5' } });
      expect(put.status).toBe(200);
      const head = await rawS3(t, 'HEAD', '/node-1/meta/src');
      expect([head.headers['x-amz-meta-colour'], head.headers['content-type'], head.headers['cache-control']]).toEqual(['blue', 'text/x-src', 'max-age=5']);
      expect((await rawS3(t, 'GET', '/node-1/meta/src')).headers['x-amz-meta-colour']).toBe('blue');

      expect((await rawS3(t, 'PUT', '/node-1/meta/kept', { headers: { 'x-amz-copy-source': '/node-1/meta/src' } })).status).toBe(200);
      const kept = await rawS3(t, 'HEAD', '/node-1/meta/kept');
      expect([kept.headers['x-amz-meta-colour'], kept.headers['content-type']]).toEqual(['blue', 'text/x-src']);

      const rep = await rawS3(t, 'PUT', '/node-1/meta/replaced', { headers: { 'x-amz-copy-source': '/node-1/meta/src', 'x-amz-metadata-directive': 'REPLACE', 'x-amz-meta-shape': 'round', 'content-type': 'text/x-new' } });
      expect(rep.status).toBe(200);
      const replaced = await rawS3(t, 'HEAD', '/node-1/meta/replaced');
      expect([replaced.headers['x-amz-meta-colour'], replaced.headers['x-amz-meta-shape'], replaced.headers['content-type']]).toEqual([undefined, 'round', 'text/x-new']);
    });

    it('refuses a copy onto itself without REPLACE, and metadata over 2 KB', async () => {
      const self = await rawS3(t, 'PUT', '/node-1/meta/src', { headers: { 'x-amz-copy-source': '/node-1/meta/src' } });
      expect([self.status, xmlValues(self.text, 'Code')[0]]).toEqual([400, 'InvalidRequest']);
      const big = await rawS3(t, 'PUT', '/node-1/meta/big', { body: 'b', headers: { 'x-amz-meta-big': 'x'.repeat(2100) } });
      expect([big.status, xmlValues(big.text, 'Code')[0]]).toEqual([400, 'MetadataTooLarge']);
    });
  });

  describe('multipart', () => {
    const create = async (key: string) => xmlValues((await rawS3(t, 'POST', `/node-1/${key}?uploads`, { headers: { 'x-amz-meta-mp': 'yes' } })).text, 'UploadId')[0];
    const part = async (key: string, id: string, n: number, body: Buffer) => String((await rawS3(t, 'PUT', `/node-1/${key}?partNumber=${n}&uploadId=${id}`, { body })).headers.etag);
    const complete = (key: string, id: string, etags: string[]) =>
      rawS3(t, 'POST', `/node-1/${key}?uploadId=${id}`, { body: `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>` });

    it('lists the parts of an upload (ListParts) and the uploads in flight (ListMultipartUploads)', async () => {
      const id = await create('mp/one');
      const e1 = await part('mp/one', id, 1, Buffer.alloc(5 * MiB, 1));
      const e2 = await part('mp/one', id, 2, Buffer.from('tail'));
      const parts = await rawS3(t, 'GET', `/node-1/mp/one?uploadId=${id}`);
      expect(parts.status).toBe(200);
      expect(xmlValues(parts.text, 'PartNumber')).toEqual(['1', '2']);
      expect(xmlValues(parts.text, 'Size')).toEqual([String(5 * MiB), '4']);
      expect(xmlValues(parts.text, 'ETag').map((e) => e.replace(/&quot;/g, '"'))).toEqual([e1, e2]);
      const other = await create('other/two');
      const ups = await rawS3(t, 'GET', '/node-1?uploads&prefix=mp%2F');
      expect(xmlValues(ups.text, 'UploadId')).toEqual([id]);
      expect(xmlValues((await rawS3(t, 'GET', '/node-1?uploads')).text, 'Key')).toEqual(['mp/one', 'other/two']);
      expect((await complete('mp/one', id, [e1, e2])).status).toBe(200);
      const head = await rawS3(t, 'HEAD', '/node-1/mp/one');
      expect([head.headers['content-length'], head.headers['x-amz-meta-mp']]).toEqual([String(5 * MiB + 4), 'yes']);
      expect(xmlValues((await rawS3(t, 'GET', '/node-1?uploads')).text, 'UploadId')).toEqual([other]);
      expect((await rawS3(t, 'DELETE', `/node-1/other/two?uploadId=${other}`)).status).toBe(204);
      expect((await rawS3(t, 'GET', `/node-1/other/two?uploadId=${other}`)).status).toBe(404);
    });

    it('answers 400 EntityTooSmall when a non-final part is under 5 MiB', async () => {
      const id = await create('mp/small');
      const etags = [await part('mp/small', id, 1, Buffer.alloc(100)), await part('mp/small', id, 2, Buffer.alloc(100))];
      const res = await complete('mp/small', id, etags);
      expect([res.status, xmlValues(res.text, 'Code')[0]]).toEqual([400, 'EntityTooSmall']);
      expect((await rawS3(t, 'HEAD', '/node-1/mp/small')).status).toBe(404);
    });
  });

  describe('subresources and SigV2', () => {
    it.each([
      ['GET', '/node-1/sub/o?tagging'],
      ['GET', '/node-1/sub/o?acl'],
      ['PUT', '/node-1/sub/o?tagging'],
      ['DELETE', '/node-1/sub/o?tagging'],
      ['GET', '/node-1?policy'],
      ['GET', '/node-1?lifecycle'],
      ['PUT', '/node-1?versioning'],
      ['DELETE', '/node-1?policy'],
    ])('%s %s answers 501 NotImplemented XML, never the object, and changes nothing', async (method, p) => {
      await rawS3(t, 'PUT', '/node-1/sub/o', { body: 'OBJECT-BYTES' });
      const res = await rawS3(t, method, p, { body: method === 'PUT' ? '<x/>' : '' });
      expect(res.status).toBe(501);
      expect(xmlValues(res.text, 'Code')).toEqual(['NotImplemented']);
      expect(res.text).not.toContain('OBJECT-BYTES');
      expect((await rawS3(t, 'GET', '/node-1/sub/o')).text).toBe('OBJECT-BYTES');
      expect(buckets()).toContain('node-1');
    });

    it('answers GET ?versioning with an empty (never versioned) configuration', async () => {
      const res = await rawS3(t, 'GET', '/node-1?versioning');
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/<VersioningConfiguration[^>]*><\/VersioningConfiguration>/);
    });

    it('accepts SigV2 header auth and SigV2 presigned URLs, refuses a wrong secret with 403', async () => {
      await rawS3(t, 'PUT', '/node-1/v2/o', { body: 'v2 bytes' });
      const head = await rawS3V2(t, 'HEAD', '/node-1/v2/o');
      expect(head.status).toBe(200);
      const put = await rawS3V2(t, 'PUT', '/node-1/v2/p', { body: 'by v2', headers: { 'content-type': 'text/plain', 'x-amz-meta-v': '2' } });
      expect(put.status, put.text).toBe(200);
      expect((await rawS3(t, 'HEAD', '/node-1/v2/p')).headers['x-amz-meta-v']).toBe('2');
      expect((await rawGet(t, presignV2(t, '/node-1/v2/o'))).text).toBe('v2 bytes');
      const wrong = await rawS3V2({ ...t, secretKey: 'nope' }, 'GET', '/node-1/v2/o');
      expect([wrong.status, xmlValues(wrong.text, 'Code')[0]]).toEqual([403, 'SignatureDoesNotMatch']);
      const expired = await rawGet(t, presignV2(t, '/node-1/v2/o', -10));
      expect(expired.status).toBe(403);
    });
  });
});
