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
 *
 * With `rangeBytes` the object is read as consecutive `Range: bytes=a-b` GETs, one after the other
 * (the next request is written once the previous body has fully arrived, so each pays the
 * latency of the path once), over one kept-alive connection, re-opened if the server closed it.
 */

/** The server answered with a status other than 200 (206 for a range); `body` holds up to 64 KiB of its answer. */
export class HttpStatusError extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

/** A response this client does not decode (chunked transfer encoding, a 206 without Content-Range). */
export class UnsupportedResponse extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'UnsupportedResponse';
  }
}

/** Whether an abort reason is a timeout (AbortSignal.timeout's DOMException, or any error named so). */
export function isTimeoutReason(reason: unknown): boolean {
  return (reason as { name?: unknown } | undefined)?.name === 'TimeoutError' || /timed? ?out/i.test(String((reason as Error | undefined)?.message ?? ''));
}

/**
 * A read stopped by its AbortSignal: `name` "AbortError" and `code` "ABORT_ERR", as Node's own;
 * `reason` (also `cause`) is the signal's reason; `bytes` had reached the sink by then.
 */
export class ReadAbortedError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(readonly what: string, readonly bytes: number, readonly reason: unknown) {
    super(`${what} ${isTimeoutReason(reason) ? 'timed out' : 'was aborted'} after ${bytes} bytes`, { cause: reason });
    this.name = 'AbortError';
  }
}

export interface SocketGetOptions {
  /** the reused read buffer (default 1 MiB: fewer, larger chunks for the sink) */
  bufferSize?: number;
  /**
   * > 0: read the body as consecutive ranged GETs of at most this many bytes, each written once
   * the previous one has fully arrived; undefined or 0: one GET of the whole body.
   */
  rangeBytes?: number;
  /** aborts the transfer: the socket is destroyed and the promise rejects with ReadAbortedError */
  signal?: AbortSignal;
  /** called once, just before the first request is written to the socket */
  onFirstRequest?: () => void;
}

const MAX_HEAD = 64 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/** What a complete answer said (its body went to the sink, or into HttpStatusError). */
interface Answer {
  status: number;
  /** body bytes */
  received: number;
  /** total size from Content-Range (206), else -1 */
  total: number;
  /** last byte of the range (206) */
  rangeEnd: number;
  etag: string | undefined;
}

/** A connection that ended or failed before a byte of the answer, after it had carried one already. */
class StaleConnection extends Error {}

/** One request and its answer on a connection. */
class Exchange {
  /** the head as it arrives (a copy: the read buffer is reused); null once parsed */
  head: Buffer | null = EMPTY;
  status = 0;
  /** body length from Content-Length; -1: until the connection ends */
  length = -1;
  received = 0;
  total = -1;
  rangeEnd = -1;
  etag: string | undefined;
  keepAlive = true;
  errorBody: Buffer[] | null = null;
  /** a byte of the answer has arrived */
  answered = false;

  constructor(
    readonly host: string,
    /** the first byte asked for, or -1 for a whole GET */
    readonly rangeStart: number,
    readonly sink: (chunk: Buffer) => void,
    readonly resolve: (a: Answer) => void,
    readonly reject: (e: unknown) => void,
  ) {}

  /** Takes bytes off the socket; true once the answer is complete. Throws on a bad answer or what the sink throws. */
  data(chunk: Buffer): boolean {
    this.answered = true;
    if (this.head) {
      // the head is small and may span reads: keep a copy of an unfinished one only
      const all: Buffer = this.head.length ? Buffer.concat([this.head, chunk]) : chunk;
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        if (all.length > MAX_HEAD) throw new Error(`response head from ${this.host} is over ${MAX_HEAD} bytes`);
        this.head = all === chunk ? Buffer.from(chunk) : all;
        return false;
      }
      this.onHead(all.toString('latin1', 0, end));
      this.head = null;
      chunk = all.subarray(end + 4);
    }
    if (chunk.length > 0) {
      if (this.length >= 0 && this.received + chunk.length > this.length) chunk = chunk.subarray(0, this.length - this.received);
      this.received += chunk.length;
      if (this.errorBody === null) this.sink(chunk);
      else if (this.received <= MAX_ERROR_BODY) this.errorBody.push(Buffer.from(chunk));
    }
    return this.length >= 0 && this.received >= this.length;
  }

  private onHead(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
    if (!m) throw new Error(`not an HTTP response from ${this.host}: ${JSON.stringify(lines[0].slice(0, 80))}`);
    this.status = Number(m[2]);
    this.keepAlive = m[1] === '1';
    let contentRange: string | undefined;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') this.length = Number(value);
      else if (name === 'transfer-encoding' && value.toLowerCase() !== 'identity') throw new UnsupportedResponse(`Transfer-Encoding: ${value}`);
      else if (name === 'connection') this.keepAlive = value.toLowerCase().split(/\s*,\s*/).includes('keep-alive') || (this.keepAlive && !/\bclose\b/i.test(value));
      else if (name === 'content-range') contentRange = value;
      else if (name === 'etag') this.etag = value;
    }
    if (!Number.isSafeInteger(this.length) || this.length < -1) throw new Error(`bad Content-Length from ${this.host}`);
    // a body that runs to the end of the connection leaves nothing to reuse
    if (this.length < 0) this.keepAlive = false;
    const ok = this.status === 200 || (this.status === 206 && this.rangeStart >= 0);
    if (!ok) {
      this.errorBody = [];
      return;
    }
    if (this.status === 206) {
      // checked before any byte reaches the sink, so the caller may still fall back
      const r = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange ?? '');
      if (!r) throw new UnsupportedResponse(`a 206 answer from ${this.host} without a usable Content-Range (${JSON.stringify(contentRange ?? null)})`);
      const [start, end, total] = [Number(r[1]), Number(r[2]), Number(r[3])];
      if (start !== this.rangeStart || end < start || end >= total || (this.length >= 0 && this.length !== end - start + 1)) {
        throw new Error(`${this.host} answered bytes ${start}-${end}/${total} (Content-Length ${this.length}) to a request for bytes from ${this.rangeStart}`);
      }
      this.rangeEnd = end;
      this.total = total;
    }
  }

  /** The answer is complete. */
  done(): void {
    if (this.errorBody !== null) this.reject(new HttpStatusError(this.status, Buffer.concat(this.errorBody).toString('utf8')));
    else this.resolve({ status: this.status, received: this.received, total: this.total, rangeEnd: this.rangeEnd, etag: this.etag });
  }

  /** The connection ended (FIN). */
  ended(reused: boolean): void {
    if (!this.answered && reused) this.reject(new StaleConnection('the kept-alive connection was closed'));
    else if (this.head) this.reject(Object.assign(new Error(`${this.host} closed the connection before answering`), { code: 'ECONNRESET' }));
    else if (this.length < 0) this.done();
    else this.reject(new Error(`connection closed after ${this.received} of ${this.length} bytes`));
  }
}

/** One socket at a time to `url`'s host, reading into `buffer`; requests one after the other. */
class Connection {
  private socket: net.Socket | null = null;
  /** the current socket has carried a complete answer */
  private reused = false;
  private ex: Exchange | null = null;
  private firstWritten = false;

  constructor(
    private readonly url: URL,
    private readonly buffer: Buffer,
    private readonly onFirstRequest: (() => void) | undefined,
  ) {}

  /** Sends `request` and resolves with the answer; a stale kept-alive connection is re-opened once. */
  async exchange(request: string, rangeStart: number, sink: (chunk: Buffer) => void): Promise<Answer> {
    try {
      return await this.once(request, rangeStart, sink);
    } catch (e) {
      if (!(e instanceof StaleConnection)) throw e;
      return this.once(request, rangeStart, sink);
    }
  }

  private once(request: string, rangeStart: number, sink: (chunk: Buffer) => void): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const ex = new Exchange(this.url.host, rangeStart, sink, resolve, reject);
      this.ex = ex;
      const write = (s: net.Socket) => {
        if (!this.firstWritten) {
          this.firstWritten = true;
          this.onFirstRequest?.();
        }
        s.write(request);
      };
      if (this.socket) write(this.socket);
      else {
        const s = this.open();
        s.once('connect', () => {
          if (this.socket === s && this.ex === ex) write(s);
        });
      }
    });
  }

  private open(): net.Socket {
    const s = net.connect({
      host: this.url.hostname,
      port: Number(this.url.port || 80),
      onread: {
        buffer: this.buffer,
        callback: (nread: number, buf: Uint8Array): boolean => {
          const ex = this.ex;
          if (this.socket !== s) return false;
          if (!ex) {
            // bytes nobody asked for: this connection cannot carry another request
            this.drop();
            return false;
          }
          try {
            if (!ex.data(Buffer.from(buf.buffer, buf.byteOffset, nread))) return true;
          } catch (e) {
            this.fail(e);
            return false;
          }
          this.ex = null;
          if (ex.keepAlive) this.reused = true;
          else this.drop();
          ex.done();
          return true;
        },
      },
    });
    s.setNoDelay(true);
    s.on('error', (e) => {
      if (this.socket === s) this.fail(e, true);
    });
    s.on('end', () => {
      if (this.socket !== s) return;
      const ex = this.ex;
      const reused = this.reused;
      this.ex = null;
      this.drop();
      ex?.ended(reused);
    });
    s.on('close', () => {
      if (this.socket !== s) return;
      const ex = this.ex;
      const reused = this.reused;
      this.ex = null;
      this.drop();
      if (ex && !ex.answered && reused) ex.reject(new StaleConnection('the kept-alive connection was closed'));
      else ex?.reject(new Error(`connection closed after ${ex.received} bytes`));
    });
    this.socket = s;
    this.reused = false;
    return s;
  }

  /** bytes of the answer in flight so far (for an abort's message) */
  get inFlight(): number {
    return this.ex?.errorBody === null ? this.ex.received : 0;
  }

  /**
   * Stops the request in flight with `err` and closes the socket. `socketError`: a network error
   * of the socket, which on a reused connection before any answer means it was closed under us.
   */
  fail(err: unknown, socketError = false): void {
    const ex = this.ex;
    const reused = this.reused;
    this.ex = null;
    this.drop();
    if (ex && socketError && reused && !ex.answered) ex.reject(new StaleConnection(String(err)));
    else ex?.reject(err);
  }

  /** Destroys the socket, if any. */
  drop(): void {
    const s = this.socket;
    this.socket = null;
    this.reused = false;
    s?.destroy();
  }
}

function requestText(url: URL, range: string | undefined, ifMatch: string | undefined, close: boolean): string {
  return (
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: fogsim\r\nAccept-Encoding: identity\r\n` +
    (range ? `Range: ${range}\r\n` : '') +
    (ifMatch ? `If-Match: ${ifMatch}\r\n` : '') +
    `Connection: ${close ? 'close' : 'keep-alive'}\r\n\r\n`
  );
}

/**
 * GETs `url` (http only) and calls `sink` with each piece of the body; a chunk is valid only during
 * the call. Resolves with the body length once it has all arrived. Rejects with the socket's error
 * (its `code`, e.g. ECONNREFUSED, is kept), HttpStatusError, UnsupportedResponse, an Error when the
 * connection ends early, ReadAbortedError when `opts.signal` aborts, or whatever `sink` throws (the
 * connection is closed at once).
 *
 * With `opts.rangeBytes` > 0: ranged GETs of at most that many bytes, in order, each sent once the
 * previous range is complete, on one kept-alive connection (re-opened when the server closed it).
 * The size comes from the first answer's Content-Range; later ranges carry `If-Match` with the
 * first answer's ETag, so an object replaced mid-read fails (412) instead of mixing versions. An
 * empty object (416 on the first range) reads as 0 bytes; a server that ignores Range (200)
 * sends the whole object in its first answer.
 */
export async function socketGet(url: URL, sink: (chunk: Buffer) => void, opts: SocketGetOptions = {}): Promise<number> {
  if (url.protocol !== 'http:') throw new UnsupportedResponse(`socketGet speaks plain http, not ${url.protocol}`);
  const { signal } = opts;
  const what = `GET http://${url.host}${url.pathname}`;
  if (signal?.aborted) throw new ReadAbortedError(what, 0, signal.reason);
  const conn = new Connection(url, Buffer.allocUnsafe(opts.bufferSize ?? 1 << 20), opts.onFirstRequest);
  /** body bytes of complete answers */
  let delivered = 0;
  const onAbort = () => conn.fail(new ReadAbortedError(what, delivered + conn.inFlight, signal!.reason));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const rangeBytes = opts.rangeBytes ?? 0;
    if (!(rangeBytes > 0)) {
      const a = await conn.exchange(requestText(url, undefined, undefined, true), -1, sink);
      return a.received;
    }
    if (!Number.isSafeInteger(rangeBytes)) throw new RangeError(`rangeBytes must be a positive integer, got ${rangeBytes}`);
    let total = -1;
    let etag: string | undefined;
    while (total < 0 || delivered < total) {
      if (signal?.aborted) throw new ReadAbortedError(what, delivered, signal.reason);
      const end = total < 0 ? delivered + rangeBytes - 1 : Math.min(delivered + rangeBytes, total) - 1;
      // the last range (known once the size is) lets the server close the connection
      const last = total >= 0 && end === total - 1;
      let a: Answer;
      try {
        a = await conn.exchange(requestText(url, `bytes=${delivered}-${end}`, etag, last), delivered, sink);
      } catch (e) {
        // bytes=0-... is unsatisfiable only for an empty object
        if (e instanceof HttpStatusError && e.status === 416 && total < 0) return 0;
        throw e;
      }
      if (a.status === 200) {
        // the server ignored Range and sent the whole object (only possible on the first request)
        return a.received;
      }
      if (total >= 0 && a.total !== total) throw new Error(`the object changed size while it was read in ranges (${total} bytes, now ${a.total}) after ${delivered} bytes`);
      total = a.total;
      etag ??= a.etag;
      delivered = a.rangeEnd + 1;
    }
    return total;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    conn.drop();
  }
}
