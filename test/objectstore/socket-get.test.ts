import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpStatusError, ReadAbortedError, socketGet, UnsupportedResponse } from '../../objectstore/socket-get.js';

/** A one-shot TCP server that answers every connection with `script` (pieces written apart). */
async function serve(script: (sock: net.Socket) => void): Promise<URL> {
  const srv = net.createServer((sock) => {
    sock.once('data', () => script(sock));
    sock.on('error', () => undefined);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/b/k?x=1`);
}
const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

const collect = async (url: URL, opts = {}): Promise<{ body: string; n: number; chunks: number }> => {
  const parts: Buffer[] = [];
  const n = await socketGet(url, (c) => parts.push(Buffer.from(c)), opts);
  return { body: Buffer.concat(parts).toString(), n, chunks: parts.length };
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('socketGet', () => {
  it('sends a GET with the path, query and host, and reads a Content-Length body split anywhere, the head too', async () => {
    let request = '';
    const url = await serve(async (sock) => {
      const response = 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Long: ' + 'v'.repeat(3000) + '\r\n\r\nhello world';
      for (const piece of [response.slice(0, 9), response.slice(9, 2000), response.slice(2000, response.length - 6), response.slice(-6)]) {
        sock.write(piece);
        await pause(15);
      }
    });
    const srv = servers[0];
    srv.on('connection', (s) => s.once('data', (d) => (request = d.toString())));
    const r = await collect(url, { bufferSize: 1024 });
    expect(r).toMatchObject({ body: 'hello world', n: 11 });
    expect(request).toMatch(/^GET \/b\/k\?x=1 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
  });

  it('reads a body without Content-Length until the connection ends', async () => {
    const url = await serve((sock) => sock.end('HTTP/1.0 200 OK\r\n\r\nall of it'));
    expect(await collect(url)).toMatchObject({ body: 'all of it', n: 9 });
  });

  it('a connection that ends before Content-Length bytes is an error, not a short body', async () => {
    const url = await serve((sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'));
    await expect(collect(url)).rejects.toThrow('connection closed after 9 of 100 bytes');
  });

  it('a status other than 200 rejects with the status and the body, and never reaches the sink', async () => {
    const url = await serve((sock) => sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 38\r\n\r\n<Error><Code>NoSuchKey</Code></Error>\n'));
    const err = await collect(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({ status: 404, body: '<Error><Code>NoSuchKey</Code></Error>\n' });
  });

  it('refuses a chunked response (the caller falls back to a full HTTP client) and https URLs', async () => {
    const url = await serve((sock) => sock.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'));
    await expect(collect(url)).rejects.toBeInstanceOf(UnsupportedResponse);
    await expect(collect(new URL('https://127.0.0.1:1/x'))).rejects.toBeInstanceOf(UnsupportedResponse);
  });

  it('something that is not HTTP, and a connection closed before any answer, are errors', async () => {
    const junk = await serve((sock) => sock.end('SSH-2.0-OpenSSH\r\n\r\n'));
    await expect(collect(junk)).rejects.toThrow(/not an HTTP response/);
    const silent = await serve((sock) => sock.end());
    await expect(collect(silent)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('a port nobody listens on rejects with ECONNREFUSED', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    await expect(collect(new URL(`http://127.0.0.1:${port}/x`))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

/**
 * A keep-alive HTTP server over raw sockets that answers `Range: bytes=a-b` GETs of `body` and
 * logs each request. `mode`: 'keep' keeps connections open; 'close' says Connection: close and
 * closes after each answer; 'silent' closes after each answer without saying so (a kept-alive
 * connection the server dropped); 'ignore' answers 200 with the whole body; 'no-range' answers
 * 206 without Content-Range.
 */
async function rangeServer(body: Buffer, mode: 'keep' | 'close' | 'silent' | 'ignore' | 'no-range'): Promise<{ url: URL; log: { conn: number; head: string }[] }> {
  const log: { conn: number; head: string }[] = [];
  let conns = 0;
  const srv = net.createServer((sock) => {
    const conn = ++conns;
    let buf = '';
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        log.push({ conn, head });
        const m = /\r\nRange: bytes=(\d+)-(\d+)/i.exec(head);
        if (mode === 'ignore' || !m) {
          sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nETag: "v1"\r\n\r\n`);
          sock.write(body);
          continue;
        }
        if (body.length === 0) {
          sock.write('HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\n\r\n');
          continue;
        }
        const a = Number(m[1]);
        const b = Math.min(Number(m[2]), body.length - 1);
        const range = mode === 'no-range' ? '' : `Content-Range: bytes ${a}-${b}/${body.length}\r\n`;
        const close = mode === 'close' ? 'Connection: close\r\n' : '';
        sock.write(`HTTP/1.1 206 Partial Content\r\nContent-Length: ${b - a + 1}\r\n${range}ETag: "v1"\r\n${close}\r\n`);
        sock.write(body.subarray(a, b + 1));
        if (mode === 'close' || mode === 'silent') sock.end();
      }
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: new URL(`http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/b/k?x=1`), log };
}

describe('socketGet in ranges', () => {
  const body = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789'.repeat(10)); // 360 bytes

  it('reads consecutive ranges on one kept-alive connection, If-Match from the second on, Connection: close on the last', async () => {
    const { url, log } = await rangeServer(body, 'keep');
    const r = await collect(url, { rangeBytes: 100 });
    expect(r).toMatchObject({ body: body.toString(), n: 360 });
    expect(log.map((l) => /Range: (.*)/.exec(l.head)?.[1])).toEqual(['bytes=0-99', 'bytes=100-199', 'bytes=200-299', 'bytes=300-359']);
    expect(new Set(log.map((l) => l.conn)).size).toBe(1);
    expect(log[0].head).not.toMatch(/If-Match/);
    expect(log.slice(1).every((l) => /\r\nIf-Match: "v1"/.test(l.head))).toBe(true);
    expect(log.map((l) => /Connection: (.*)/.exec(l.head)?.[1])).toEqual(['keep-alive', 'keep-alive', 'keep-alive', 'close']);
  });

  it('re-opens the connection when the server closes it, said or not', async () => {
    for (const mode of ['close', 'silent'] as const) {
      const { url, log } = await rangeServer(body, mode);
      const r = await collect(url, { rangeBytes: 50, bufferSize: 64 });
      expect(r.body, mode).toBe(body.toString());
      expect(new Set(log.map((l) => l.conn)).size, mode).toBe(8);
      // unsaid, a request may go out on the closing connection before its end arrives: sent again
      if (mode === 'close') expect(log.length).toBe(8);
      else expect(log.length).toBeLessThanOrEqual(15);
    }
  });

  it('a range as large as the object or larger is one request; an empty object (416) reads as 0 bytes', async () => {
    for (const rangeBytes of [360, 361, 1 << 20]) {
      const { url, log } = await rangeServer(body, 'keep');
      expect((await collect(url, { rangeBytes })).body).toBe(body.toString());
      expect(log.length).toBe(1);
    }
    const { url } = await rangeServer(Buffer.alloc(0), 'keep');
    expect(await collect(url, { rangeBytes: 10 })).toMatchObject({ body: '', n: 0, chunks: 0 });
  });

  it('a server that ignores Range sends the whole object at once; a 206 without Content-Range is refused before any byte', async () => {
    const ignore = await rangeServer(body, 'ignore');
    expect(await collect(ignore.url, { rangeBytes: 100 })).toMatchObject({ body: body.toString(), n: 360 });
    expect(ignore.log.length).toBe(1);
    const bad = await rangeServer(body, 'no-range');
    await expect(collect(bad.url, { rangeBytes: 100 })).rejects.toBeInstanceOf(UnsupportedResponse);
  });

  it('calls onFirstRequest once, when the first request goes out; an aborted signal rejects with an AbortError', async () => {
    const { url } = await rangeServer(body, 'silent');
    let calls = 0;
    await socketGet(url, () => undefined, { rangeBytes: 100, onFirstRequest: () => calls++ });
    expect(calls).toBe(1);
    const err = await socketGet(url, () => undefined, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadAbortedError);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect((err as Error).message).toMatch(/was aborted after 0 bytes/);
  });

  it('a server that stops mid-body: the abort destroys the socket at once', async () => {
    let closed = false;
    const url = await serve((sock) => {
      sock.write('HTTP/1.1 206 Partial Content\r\nContent-Length: 1000\r\nContent-Range: bytes 0-999/5000\r\n\r\nonly a part');
      sock.on('close', () => (closed = true));
    });
    const ac = new AbortController();
    let got = '';
    const p = socketGet(url, (c) => (got += c.toString()), { rangeBytes: 1000, signal: ac.signal }).catch((e: unknown) => e);
    for (let t = 0; t < 100 && got === ''; t++) await pause(5);
    expect(got).toBe('only a part');
    ac.abort(new DOMException('the job took too long', 'TimeoutError'));
    const err = (await p) as ReadAbortedError;
    expect(err.message).toMatch(/timed out after 11 bytes/);
    expect(err.reason).toMatchObject({ name: 'TimeoutError' });
    for (let t = 0; t < 50 && !closed; t++) await pause(5);
    expect(closed).toBe(true);
  });
});
