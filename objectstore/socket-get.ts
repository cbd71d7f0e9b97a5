import net from 'node:net';

/*
 * An HTTP/1.1 GET over a plain socket that reads into ONE reused buffer (net.Socket `onread`) and
 * hands the body to a sink, chunk by chunk, synchronously. Node's http client allocates a fresh
 * 64 KiB buffer per read and passes every chunk through a stream; for the job, which only scans
 * the bytes, that halved the speed (a 322 MB object: 300-350 MB/s through http.get, 640-700 MB/s
 * this way, the job scanning in both cases; bench/RESULTS.md).
 *
 * It speaks just what a GET of an object needs: a status line, headers, and a body delimited by
 * Content-Length or by the end of the connection. A chunked response is refused (UnsupportedResponse)
 * so the caller can fall back to a full HTTP client.
 */

/** The server answered with a status other than 200; `body` holds up to 64 KiB of its answer. */
export class HttpStatusError extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

/** A response this client does not decode (chunked transfer encoding). */
export class UnsupportedResponse extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'UnsupportedResponse';
  }
}

export interface SocketGetOptions {
  /** the reused read buffer (default 1 MiB: fewer, larger chunks for the sink) */
  bufferSize?: number;
}

const MAX_HEAD = 64 * 1024;
const MAX_ERROR_BODY = 64 * 1024;

/**
 * GETs `url` (http only) and calls `sink` with each piece of the body; a chunk is valid only during
 * the call. Resolves with the body length once it has all arrived. Rejects with the socket's error
 * (its `code`, e.g. ECONNREFUSED, is kept), HttpStatusError, UnsupportedResponse, an Error when the
 * connection ends early, or whatever `sink` throws (the connection is closed at once).
 */
export function socketGet(url: URL, sink: (chunk: Buffer) => void, opts: SocketGetOptions = {}): Promise<number> {
  if (url.protocol !== 'http:') return Promise.reject(new UnsupportedResponse(`socketGet speaks plain http, not ${url.protocol}`));
  const buffer = Buffer.allocUnsafe(opts.bufferSize ?? 1 << 20);
  return new Promise<number>((resolve, reject) => {
    let head: Buffer | null = Buffer.alloc(0);
    let status = 0;
    /** body length from Content-Length; -1: until the connection ends */
    let length = -1;
    let received = 0;
    const errorBody: Buffer[] = [];
    let settled = false;
    const finish = (err: unknown, n?: number) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(n ?? received);
    };
    const body = (chunk: Buffer) => {
      if (chunk.length === 0) return;
      if (length >= 0 && received + chunk.length > length) chunk = chunk.subarray(0, length - received);
      received += chunk.length;
      if (status === 200) sink(chunk);
      else if (received <= MAX_ERROR_BODY) errorBody.push(Buffer.from(chunk));
    };
    const done = () => {
      if (status === 200) finish(null, received);
      else finish(new HttpStatusError(status, Buffer.concat(errorBody).toString('utf8')));
    };
    const onHead = (text: string) => {
      const lines = text.split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
      if (!m) throw new Error(`not an HTTP response from ${url.host}: ${JSON.stringify(lines[0].slice(0, 80))}`);
      status = Number(m[1]);
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'content-length') length = Number(value);
        else if (name === 'transfer-encoding' && value.toLowerCase() !== 'identity') throw new UnsupportedResponse(`Transfer-Encoding: ${value}`);
      }
      if (!Number.isSafeInteger(length) || length < -1) throw new Error(`bad Content-Length from ${url.host}`);
    };
    const socket = net.connect({
      host: url.hostname,
      port: Number(url.port || 80),
      onread: {
        buffer,
        callback(nread: number, buf: Uint8Array): boolean {
          if (settled) return false;
          try {
            let chunk = Buffer.from(buf.buffer, buf.byteOffset, nread);
            if (head) {
              // the head is small and may span reads: keep a copy (the read buffer is reused)
              const all: Buffer = Buffer.concat([head, chunk]);
              const end = all.indexOf('\r\n\r\n');
              if (end < 0) {
                if (all.length > MAX_HEAD) throw new Error(`response head from ${url.host} is over ${MAX_HEAD} bytes`);
                head = all;
                return true;
              }
              onHead(all.toString('latin1', 0, end));
              head = null;
              chunk = all.subarray(end + 4);
            }
            body(chunk);
            if (length >= 0 && received >= length) done();
          } catch (e) {
            finish(e);
            return false;
          }
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: fogsim\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n`);
    });
    socket.on('error', (e) => finish(e));
    socket.on('end', () => {
      if (head) finish(Object.assign(new Error(`${url.host} closed the connection before answering`), { code: 'ECONNRESET' }));
      else if (length < 0) done();
      else finish(new Error(`connection closed after ${received} of ${length} bytes`));
    });
    socket.on('close', () => {
      if (!settled) finish(new Error(`connection closed after ${received} bytes`));
    });
  });
}
