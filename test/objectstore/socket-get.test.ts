import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpStatusError, socketGet, UnsupportedResponse } from '../../objectstore/socket-get.js';

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
