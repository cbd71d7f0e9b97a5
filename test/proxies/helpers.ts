/** Upstream servers and clients for the proxy suites: an HTTP server with a big multi-chunk body and a TCP echo. */
import http from 'node:http';
import net from 'node:net';

export interface Upstreams {
  httpPort: number;
  echoPort: number;
  bigBytes: number;
  close(): Promise<void>;
}

export async function startUpstreams(bigBytes = 5 * 1024 * 1024): Promise<Upstreams> {
  const body = Buffer.alloc(bigBytes, 'x');
  const web = http.createServer((req, res) => {
    if (req.url === '/big') {
      // written in 64 KB pieces so the response crosses the proxy as many chunks
      res.writeHead(200, { 'content-length': body.length });
      let off = 0;
      const pump = (): void => {
        while (off < body.length) {
          const piece = body.subarray(off, off + 65536);
          off += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    } else {
      res.end('ok');
    }
  });
  const sockets = new Set<net.Socket>();
  const echo = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  return {
    httpPort: (web.address() as net.AddressInfo).port,
    echoPort: (echo.address() as net.AddressInfo).port,
    bigBytes,
    async close() {
      for (const s of sockets) s.destroy();
      web.closeAllConnections();
      await Promise.all([new Promise((r) => web.close(r)), new Promise((r) => echo.close(r))]);
    },
  };
}

/** One GET on a fresh connection: wall time, time to the response head, bytes and chunks of the body. */
export function timedGet(port: number, path: string, host = '127.0.0.1'): Promise<{ ms: number; ttfbMs: number; bytes: number; chunks: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host, port, path, agent: false }, (res) => {
      const ttfbMs = performance.now() - t0;
      let bytes = 0;
      let chunks = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        chunks++;
      });
      res.on('end', () => resolve({ ms: performance.now() - t0, ttfbMs, bytes, chunks }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Best of n: the least disturbed measurement on a busy machine. */
export async function bestOf<K extends string>(n: number, f: () => Promise<Record<K, number>>, key: K): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, (await f())[key]);
  return best;
}

export function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** What a socket went through: data received, how it ended, when. */
export function watch(s: net.Socket): { data: Buffer[]; closed: Promise<{ at: number; error?: string }> } {
  const data: Buffer[] = [];
  s.on('data', (c: Buffer) => data.push(c));
  let error: string | undefined;
  s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const closed = new Promise<{ at: number; error?: string }>((r) => s.on('close', () => r({ at: performance.now(), error })));
  return { data, closed };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with 'timeout' if p does not settle within ms. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([p, new Promise<'timeout'>((res) => (t = setTimeout(() => res('timeout'), ms)))]);
  clearTimeout(t);
  return r;
}

export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}
