import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../model/errors.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../../objectstore/embedded-s3/index.js';
import { openObjectStore } from '../../objectstore/open.js';
import { ObjectNotFoundError, S3ObjectStore } from '../../objectstore/s3-object-store.js';
import { readInfraConfig } from '../../util/config.js';

/**
 * One suite, two servers: the embedded S3 server always, MinIO (or any S3 server) when
 * FOGSIM_S3_ENDPOINT is set (scripts/real/minio.sh start; eval "$(scripts/real/minio.sh env)").
 */

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A plain TCP relay standing where the app's latency proxy sits in front of the S3 server. */
async function startRelay(target: { host: string; port: number }): Promise<{ port: number; bytes: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    upstream.on('data', (d: Buffer) => (bytes += d.length));
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    bytes: () => bytes,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

function contract(label: string, open: () => Promise<{ store: S3ObjectStore; close: () => Promise<void> }>): void {
  describe(label, () => {
    let store: S3ObjectStore;
    let close: () => Promise<void>;
    let work: string;
    // Unique names: a real server keeps buckets from earlier runs.
    const run = randomBytes(3).toString('hex');
    const A = `fogsim-ct-${run}-a`;
    const B = `fogsim-ct-${run}-b`;

    beforeAll(async () => {
      ({ store, close } = await open());
      work = mkdtempSync(path.join(tmpdir(), 'fogsim-os-'));
      await store.ensureBucket(A);
      await store.ensureBucket(B);
    });

    afterAll(async () => {
      if (store) {
        for (const bucket of [A, B]) {
          for (const o of await store.listObjects(bucket).catch(() => [])) await store.deleteObject(bucket, o.key);
          await store.deleteBucket(bucket).catch(() => undefined);
        }
      }
      await close?.();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('creates buckets idempotently and lists them', async () => {
      await store.ensureBucket(A); // second time: no error
      const buckets = await store.listBuckets();
      expect(buckets).toContain(A);
      expect(buckets).toContain(B);
    });

    it('refuses an invalid bucket name with a UserError saying what a valid one looks like', async () => {
      await expect(store.ensureBucket('Node_1')).rejects.toThrow(/invalid bucket name "Node_1".*node-3/);
    });

    it('round-trips binary bodies: Buffer, stream with size, stream without size', async () => {
      const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(100_000)]);
      await store.putObject(A, 'bin/buffer', bytes);
      await store.putObject(A, 'bin/sized', Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), bytes.length);
      await store.putObject(A, 'bin/unsized', Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]));
      await store.putObject(A, 'bin/empty', Buffer.alloc(0));
      for (const key of ['bin/buffer', 'bin/sized', 'bin/unsized']) {
        expect(sha(await readAll(await store.getObject(A, key)))).toBe(sha(bytes));
      }
      expect((await readAll(await store.getObject(A, 'bin/empty'))).length).toBe(0);
      expect((await store.statObject(A, 'bin/empty'))?.size).toBe(0);
    });

    it('uploads a 20 MB file as a multipart upload and reads back the same bytes', async () => {
      const file = path.join(work, 'twenty.bin');
      const bytes = randomBytes(20_000_000);
      writeFileSync(file, bytes);
      await store.putFile(A, 'big/twenty.bin', file);
      const info = await store.statObject(A, 'big/twenty.bin');
      expect(info?.size).toBe(20_000_000);
      // A multipart ETag is md5-of-part-md5s with "-<parts>": 20 MB over 16 MiB parts = 2 parts.
      expect(info?.etag).toMatch(/^[0-9a-f]{32}-2$/);
      expect(sha(await readAll(await store.getObject(A, 'big/twenty.bin')))).toBe(sha(bytes));
    });

    it('streams an unsized body longer than one part as multipart, in bounded parts', async () => {
      const part = randomBytes(1 << 20);
      const parts = 17; // 17 MiB > the 16 MiB part size
      await store.putObject(A, 'big/unsized', Readable.from(Array.from({ length: parts }, () => part)));
      const info = await store.statObject(A, 'big/unsized');
      expect(info?.size).toBe(parts * part.length);
      expect(info?.etag).toMatch(/-2$/);
    });

    it('stats: size and etag of an object, undefined for a missing key or bucket', async () => {
      await store.putObject(A, 'stat/one', Buffer.from('hello'));
      const info = await store.statObject(A, 'stat/one');
      expect(info).toEqual({ key: 'stat/one', size: 5, etag: '5d41402abc4b2a76b9719d911017c592' });
      expect(await store.statObject(A, 'stat/none')).toBeUndefined();
      expect(await store.statObject(`fogsim-ct-${run}-nobucket`, 'x')).toBeUndefined();
    });

    it('copies between buckets server-side, leaving the source in place', async () => {
      const bytes = randomBytes(300_000);
      await store.putObject(A, 'copy/src', bytes);
      await store.copyObject(A, 'copy/src', B, 'copy/dst');
      expect(sha(await readAll(await store.getObject(B, 'copy/dst')))).toBe(sha(bytes));
      expect((await store.statObject(A, 'copy/src'))?.size).toBe(bytes.length);
      // Overwriting the source afterwards leaves the copy as it was.
      await store.putObject(A, 'copy/src', Buffer.from('changed'));
      expect(sha(await readAll(await store.getObject(B, 'copy/dst')))).toBe(sha(bytes));
    });

    it('copy of a missing source or into a missing bucket names what is missing', async () => {
      const err = await store.copyObject(A, 'copy/none', B, 'x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectNotFoundError);
      expect((err as Error).message).toContain(`s3://${A}/copy/none`);
      await store.putObject(A, 'copy/here', Buffer.from('x'));
      const err2 = await store.copyObject(A, 'copy/here', `fogsim-ct-${run}-gone`, 'x').catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(ObjectNotFoundError);
      expect((err2 as Error).message).toContain(`bucket "fogsim-ct-${run}-gone" not found`);
      const err3 = await store.copyObject(`fogsim-ct-${run}-gone`, 'k', B, 'x').catch((e: unknown) => e);
      expect((err3 as Error).message).toContain(`bucket "fogsim-ct-${run}-gone" not found (looking for s3://fogsim-ct-${run}-gone/k)`);
    });

    it('deletes objects; deleting a missing key succeeds; deleting in a missing bucket fails', async () => {
      await store.putObject(A, 'del/one', Buffer.from('x'));
      await store.deleteObject(A, 'del/one');
      expect(await store.statObject(A, 'del/one')).toBeUndefined();
      expect((await store.listObjects(A, 'del/')).map((o) => o.key)).toEqual([]);
      await store.deleteObject(A, 'del/one');
      await expect(store.deleteObject(`fogsim-ct-${run}-gone`, 'x')).rejects.toThrow(/bucket "fogsim-ct-\w+-gone" not found/);
    });

    it('lists by prefix, in key order, with sizes; keys with spaces, plus signs and non-ASCII survive', async () => {
      const keys = ['list/b', 'list/a', 'list/sub/c', 'list/x y+z', 'list/blüte', 'listing', 'other'];
      for (const [i, key] of keys.entries()) await store.putObject(A, key, Buffer.alloc(i + 1, 1));
      const listed = await store.listObjects(A, 'list/');
      expect(listed.map((o) => o.key)).toEqual(['list/a', 'list/b', 'list/blüte', 'list/sub/c', 'list/x y+z']);
      expect(listed.find((o) => o.key === 'list/x y+z')?.size).toBe(4);
      expect(sha(await readAll(await store.getObject(A, 'list/x y+z')))).toBe(sha(Buffer.alloc(4, 1)));
      const all = (await store.listObjects(A)).map((o) => o.key);
      expect(all).toEqual(expect.arrayContaining(['listing', 'other', 'list/a']));
    });

    it('a missing object or bucket gives an error naming bucket and key', async () => {
      const err = await store.getObject(A, 'nope/missing.json').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectNotFoundError);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe(`object s3://${A}/nope/missing.json not found: no such key in bucket "${A}"`);
      const err2 = await store.getObject(`fogsim-ct-${run}-gone`, 'k').catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(ObjectNotFoundError);
      expect((err2 as Error).message).toMatch(new RegExp(`bucket "fogsim-ct-${run}-gone" not found`));
      await expect(store.listObjects(`fogsim-ct-${run}-gone`)).rejects.toThrow(/not found/);
    });

    it('concurrent readers while an object is overwritten see a whole old or a whole new object, never a mix', async () => {
      // Two versions told apart by length and fill byte; any partial or mixed read breaks both checks.
      const v1 = Buffer.alloc(3_000_000, 0x31);
      const v2 = Buffer.alloc(2_000_000, 0x32);
      await store.putObject(A, 'race/obj', v1);
      let writing = true;
      const writer = (async () => {
        for (let i = 0; i < 12; i++) await store.putObject(A, 'race/obj', i % 2 ? v1 : v2);
        writing = false;
      })();
      const seen = new Set<string>();
      const reader = async (): Promise<void> => {
        while (writing) {
          const got = await readAll(await store.getObject(A, 'race/obj'));
          const ok = got.equals(v1) || got.equals(v2);
          expect(ok, `read ${got.length} bytes starting ${got.subarray(0, 4).toString('hex')}`).toBe(true);
          seen.add(got.length === v1.length ? 'v1' : 'v2');
        }
      };
      await Promise.all([writer, reader(), reader(), reader()]);
      expect(seen.size).toBeGreaterThan(0);
    });

    it('reads the same objects through another address (the latency proxy position) with viaEndpoint', async () => {
      const bytes = randomBytes(500_000);
      await store.putObject(A, 'via/obj', bytes);
      const relay = await startRelay(store.endpoint);
      try {
        const via = store.viaEndpoint('127.0.0.1', relay.port);
        expect(via.endpoint).toEqual({ host: '127.0.0.1', port: relay.port });
        expect(sha(await readAll(await via.getObject(A, 'via/obj')))).toBe(sha(bytes));
        expect(relay.bytes()).toBeGreaterThanOrEqual(bytes.length);
      } finally {
        await relay.close();
      }
    });

    it('readObject pushes the whole object through the sink, direct and through a relay, in a reused buffer', async () => {
      const bytes = randomBytes(3_500_000);
      await store.putObject(A, 'read/obj', bytes);
      const collect = async (s: S3ObjectStore): Promise<{ got: Buffer; n: number; chunks: number }> => {
        const parts: Buffer[] = [];
        // copies: a chunk is only valid during the call
        const n = await s.readObject(A, 'read/obj', (c) => parts.push(Buffer.from(c)));
        return { got: Buffer.concat(parts), n, chunks: parts.length };
      };
      const direct = await collect(store);
      expect(direct.n).toBe(bytes.length);
      expect(sha(direct.got)).toBe(sha(bytes));
      const relay = await startRelay(store.endpoint);
      try {
        const via = await collect(store.viaEndpoint('127.0.0.1', relay.port));
        expect(sha(via.got)).toBe(sha(bytes));
        expect(relay.bytes()).toBeGreaterThanOrEqual(bytes.length);
      } finally {
        await relay.close();
      }
      await store.putObject(A, 'read/empty', Buffer.alloc(0));
      expect(await store.readObject(A, 'read/empty', () => expect.unreachable('no chunk for an empty object'))).toBe(0);
    });

    it('readObject: missing object or bucket and a server that is down give the same errors as getObject', async () => {
      const err = await store.readObject(A, 'nope/missing.json', () => undefined).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectNotFoundError);
      expect((err as Error).message).toBe(`object s3://${A}/nope/missing.json not found: no such key in bucket "${A}"`);
      await expect(store.readObject(`fogsim-ct-${run}-gone`, 'k', () => undefined)).rejects.toThrow(new RegExp(`bucket "fogsim-ct-${run}-gone" not found`));
      const down = store.viaEndpoint('127.0.0.1', await freePort());
      await expect(down.readObject(A, 'read/obj', () => undefined)).rejects.toThrow(/not reachable \(ECONNREFUSED\)/);
    });

    it('readObject stops the transfer when the sink throws, and passes its error on', async () => {
      await store.putObject(A, 'read/stop', randomBytes(4_000_000));
      let calls = 0;
      const err = await store
        .readObject(A, 'read/stop', () => {
          calls++;
          throw new Error('sink says stop');
        })
        .catch((e: unknown) => e);
      expect((err as Error).message).toBe('sink says stop');
      expect(calls).toBe(1);
    });

    it('a server that is down gives a UserError naming the endpoint and the fix', async () => {
      const port = await freePort();
      const down = store.viaEndpoint('127.0.0.1', port);
      const err = await down.listBuckets().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain(`http://127.0.0.1:${port}`);
      expect((err as Error).message).toContain('FOGSIM_S3_ENDPOINT');
      await expect(down.getObject(A, 'x')).rejects.toThrow(/not reachable \(ECONNREFUSED\)/);
    });
  });
}

contract('object store contract: embedded S3 server', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fogsim-s3-'));
  const server: EmbeddedS3 = await startEmbeddedS3({ dir });
  const store = openObjectStore(readInfraConfig({}), server.endpoint);
  return {
    store,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const realEndpoint = process.env.FOGSIM_S3_ENDPOINT;
// CI always starts MinIO (.ci/run): there a missing endpoint is a failure, not a skip
if (!realEndpoint && process.env.CI) throw new Error('CI: FOGSIM_S3_ENDPOINT is not set; .ci/run starts MinIO with scripts/real/up.sh');
if (realEndpoint) {
  contract(`object store contract: S3 server at ${realEndpoint}`, async () => ({ store: openObjectStore(readInfraConfig()), close: async () => undefined }));
} else {
  describe.skip('object store contract: MinIO: skipped because FOGSIM_S3_ENDPOINT is unset (scripts/real/minio.sh start && eval "$(scripts/real/minio.sh env)")', () => {
    it('runs the contract against MinIO', () => undefined);
  });
}
