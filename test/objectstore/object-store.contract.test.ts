import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, UnavailableError } from '../../model/errors.js';
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

interface Relay {
  port: number;
  /** bytes from the server to the client */
  bytes: () => number;
  /** HTTP requests the client sent (heads ended by a blank line: GETs have no body) */
  requests: () => number;
  /** connections the client opened */
  connections: () => number;
  /** client connections still open */
  open: () => number;
  close: () => Promise<void>;
}

/**
 * A plain TCP relay standing where the app's latency proxy sits in front of the S3 server; it
 * counts requests and connections. `stallAfter`: it stops passing the server's bytes on after
 * that many (a transfer that hangs mid-way). `gate`: each of the client's writes waits for it
 * before going on to the server (a test makes something happen between two requests).
 */
async function startRelay(target: { host: string; port: number }, opts: { stallAfter?: number; gate?: () => Promise<unknown> } = {}): Promise<Relay> {
  let bytes = 0;
  let requests = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  const srv = net.createServer((client) => {
    connections++;
    clients.add(client);
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let carry = '';
    let order: Promise<unknown> = Promise.resolve();
    client.on('data', (d: Buffer) => {
      const text = carry + d.toString('latin1');
      requests += text.split('\r\n\r\n').length - 1;
      carry = text.slice(-3);
      if (!opts.gate) upstream.write(d);
      // in order, each after the gate
      else order = order.then(opts.gate).then(() => upstream.write(d), () => upstream.write(d));
    });
    upstream.on('data', (d: Buffer) => {
      const room = (opts.stallAfter ?? Infinity) - bytes;
      const part = d.length > room ? d.subarray(0, room) : d;
      bytes += part.length;
      if (part.length) client.write(part);
      // stalled: hold the rest (and the server's end) back
      if (part.length < d.length) upstream.pause();
    });
    const end = (): void => {
      clients.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end).on('end', end);
    upstream.on('error', end).on('close', end).on('end', () => client.end());
    // (a paused upstream emits no 'end': a stalled transfer stays stalled)
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    bytes: () => bytes,
    requests: () => requests,
    connections: () => connections,
    open: () => clients.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

    it('deletes an empty bucket; refuses one that holds objects; a missing one is not found', async () => {
      const C = `fogsim-ct-${run}-c`;
      await store.ensureBucket(C);
      await store.putObject(C, 'k', Buffer.from('x'));
      await expect(store.deleteBucket(C)).rejects.toThrow(/BucketNotEmpty|not empty/i);
      expect(await store.listBuckets()).toContain(C);
      await store.deleteObject(C, 'k');
      await store.deleteBucket(C);
      expect(await store.listBuckets()).not.toContain(C);
      await expect(store.deleteBucket(C)).rejects.toThrow(/not found|NoSuchBucket/i);
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
      expect(err).toBeInstanceOf(NotFoundError);
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

    // the raw socket GET (the job's path) and the minio client's stream (https, and the fallback)
    for (const transport of ['socket', 'stream'] as const) {
      const over = (s: S3ObjectStore, port?: number): S3ObjectStore => {
        const t = new S3ObjectStore({ ...s.options, socketGet: transport === 'socket' });
        return port === undefined ? t : t.viaEndpoint('127.0.0.1', port);
      };
      const collect = async (s: S3ObjectStore, key: string, rangeBytes?: number): Promise<{ got: Buffer; n: number }> => {
        const parts: Buffer[] = [];
        const n = await s.readObject(A, key, (c) => parts.push(Buffer.from(c)), { rangeBytes });
        return { got: Buffer.concat(parts), n };
      };

      it(`readObject in ranges (${transport}): the same bytes as a whole read, one request per range, sent one after the other on one connection`, async () => {
        const size = 1_000_003;
        const bytes = randomBytes(size);
        await store.putObject(A, `ranged/${transport}`, bytes);
        for (const rangeBytes of [100_000, 262_144, 999_999, size, size + 1, 5_000_000]) {
          const relay = await startRelay(store.endpoint);
          try {
            let first = 0;
            const parts: Buffer[] = [];
            const n = await over(store, relay.port).readObject(A, `ranged/${transport}`, (c) => parts.push(Buffer.from(c)), { rangeBytes, onFirstRequest: () => first++ });
            expect(n, `rangeBytes ${rangeBytes}`).toBe(size);
            expect(sha(Buffer.concat(parts)), `rangeBytes ${rangeBytes}`).toBe(sha(bytes));
            expect(relay.requests(), `rangeBytes ${rangeBytes}`).toBe(Math.ceil(size / rangeBytes));
            expect(first).toBe(1);
            // the socket path keeps one connection alive; the minio client pools its own
            if (transport === 'socket') expect(relay.connections(), `rangeBytes ${rangeBytes}`).toBe(1);
            else expect(relay.connections()).toBeLessThanOrEqual(relay.requests());
          } finally {
            await relay.close();
          }
        }
        // without rangeBytes (or 0): one GET, as before
        for (const rangeBytes of [undefined, 0]) {
          const relay = await startRelay(store.endpoint);
          try {
            const whole = await collect(over(store, relay.port), `ranged/${transport}`, rangeBytes);
            expect(whole.n).toBe(size);
            expect(sha(whole.got)).toBe(sha(bytes));
            expect(relay.requests()).toBe(1);
          } finally {
            await relay.close();
          }
        }
      });

      it(`readObject in ranges (${transport}): an empty object, a one-byte object, missing objects`, async () => {
        await store.putObject(A, `ranged-empty/${transport}`, Buffer.alloc(0));
        await store.putObject(A, `ranged-one/${transport}`, Buffer.from('x'));
        const s = over(store);
        expect(await s.readObject(A, `ranged-empty/${transport}`, () => expect.unreachable('no chunk for an empty object'), { rangeBytes: 1000 })).toBe(0);
        expect((await collect(s, `ranged-one/${transport}`, 1)).got.toString()).toBe('x');
        expect((await collect(s, `ranged-one/${transport}`, 1000)).got.toString()).toBe('x');
        const err = await s.readObject(A, 'nope/missing.json', () => undefined, { rangeBytes: 1000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ObjectNotFoundError);
        await expect(s.readObject(`fogsim-ct-${run}-gone`, 'k', () => undefined, { rangeBytes: 1000 })).rejects.toThrow(/bucket "fogsim-ct-\w+-gone" not found/);
      });

      it(`readObject in ranges (${transport}): an object replaced mid-read fails, never mixes two versions`, async () => {
        const key = `ranged-race/${transport}`;
        await store.putObject(A, key, Buffer.alloc(4_000_000, 0x31));
        let put: Promise<void> | undefined;
        // the overwrite starts with the first bytes read, and the next range's request waits for it
        // to finish: the read meets the new version whatever the machine's speed
        const relay = await startRelay(store.endpoint, { gate: () => put ?? Promise.resolve() });
        try {
          const err = await over(store, relay.port)
            .readObject(
              A,
              key,
              () => {
                put ??= store.putObject(A, key, Buffer.alloc(3_000_000, 0x32));
              },
              { rangeBytes: 256 * 1024 },
            )
            .catch((e: unknown) => e);
          await put;
          expect(put, 'the overwrite started').toBeDefined();
          expect((err as Error).message).toMatch(new RegExp(`object s3://${A}/${key} changed while it was read in ranges`));
        } finally {
          await relay.close();
        }
      });

      it(`readObject (${transport}): an abort mid-transfer rejects within 100 ms with an AbortError and leaves no open connection`, async () => {
        await store.putObject(A, `abort/${transport}`, randomBytes(3_000_000));
        for (const rangeBytes of [undefined, 1 << 20]) {
          // the relay hangs the transfer after 200 kB: only the abort can end it
          const relay = await startRelay(store.endpoint, { stallAfter: 200_000 });
          try {
            const ac = new AbortController();
            let got = 0;
            const read = over(store, relay.port)
              .readObject(A, `abort/${transport}`, (c) => (got += c.length), { rangeBytes, signal: ac.signal })
              .catch((e: unknown) => e);
            for (let t = 0; t < 200 && relay.bytes() < 200_000; t++) await pause(10);
            await pause(50);
            expect(got).toBeGreaterThan(0);
            const t0 = performance.now();
            ac.abort();
            const err = (await read) as Error & { code?: string };
            expect(performance.now() - t0).toBeLessThan(100);
            expect(err.name, err.message).toBe('AbortError');
            expect(err.code).toBe('ABORT_ERR');
            expect(err.message).toMatch(new RegExp(`reading s3://${A}/abort/${transport} was aborted after \\d+ bytes`));
            for (let t = 0; t < 50 && relay.open() > 0; t++) await pause(10);
            expect(relay.open(), 'client connections left open').toBe(0);
          } finally {
            await relay.close();
          }
        }
        // a timeout says so; an aborted signal rejects before any connection
        const relay = await startRelay(store.endpoint, { stallAfter: 100_000 });
        try {
          const err = await over(store, relay.port)
            .readObject(A, `abort/${transport}`, () => undefined, { rangeBytes: 1 << 20, signal: AbortSignal.timeout(200) })
            .catch((e: unknown) => e);
          expect((err as Error).message).toMatch(/timed out after \d+ bytes/);
          const before = relay.connections();
          await expect(over(store, relay.port).readObject(A, `abort/${transport}`, () => undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
          expect(relay.connections()).toBe(before);
        } finally {
          await relay.close();
        }
      });
    }

    it('a server that is down gives a retriable UnavailableError naming the endpoint and the fix', async () => {
      const port = await freePort();
      const down = store.viaEndpoint('127.0.0.1', port);
      const err = await down.listBuckets().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err).toMatchObject({ retriable: true, httpStatus: 503 });
      expect((err as Error).message).toContain(`http://127.0.0.1:${port}`);
      expect((err as Error).message).toContain('FOGSIM_S3_ENDPOINT');
      await expect(down.getObject(A, 'x')).rejects.toThrow(/not reachable \(ECONNREFUSED\)/);
    });
  });
}

contract('object store contract: embedded S3 server', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fogsim-s3-'));
  const server: EmbeddedS3 = await startEmbeddedS3({ dir });
  const store = openObjectStore(readInfraConfig({}), server);
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
