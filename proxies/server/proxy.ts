/**
 * One proxy of the embedded server: a TCP listener, its live connections, and the toxic chains
 * (one per direction) that every connection applies. Toxics added, updated or removed on the API
 * act on the connections already open, as in Toxiproxy (keep-alive clients feel a new latency).
 */
import net from 'node:net';
import { ApiError } from './errors.js';
import { directionOf, now, type Sink, type Stage, type StageHost, type Stream, type ToxicSpec } from './toxics/common.js';
import { createStage } from './toxics/registry.js';

/** Pause the source when this many bytes wait in a link's toxics (bounds memory under latency). */
const HIGH_WATER = 16 * 1024 * 1024;
const LOW_WATER = 8 * 1024 * 1024;
/** Socket write buffer before back-pressure: the 16 KB default pauses the source on every 64 KB read. */
const SOCKET_HIGH_WATER = 1024 * 1024;
const READ_BUFFER = 1024 * 1024;

/*
 * Read buffers are recycled: a 1 MB buffer read full is passed on as it is, and once the socket at
 * the other end has taken it (write callback) it goes back to this pool for another read. A fresh
 * megabyte per read cost page faults and garbage collections (about a third of the proxy's CPU
 * on a large download). Chunks a toxic slices or holds are simply not recycled.
 */
const POOL_MAX = 8;
const pool: Buffer[] = [];
/** the pooled buffer behind a chunk handed on whole */
const pooled = new WeakMap<Buffer, Buffer>();
function takeBuffer(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafe(READ_BUFFER);
}
/** write callback for `chunk`: its buffer back to the pool, if it came from there */
function releaser(chunk: Buffer): (() => void) | undefined {
  const back = pooled.get(chunk);
  if (!back) return undefined;
  return () => {
    if (pool.length < POOL_MAX) pool.push(back);
  };
}

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port` (`[v6]:port`, `:port` = all interfaces). */
export function parseHostPort(addr: string, field: string): HostPort {
  const i = addr.lastIndexOf(':');
  if (i < 0) throw new ApiError(`bad request body: ${field} must be host:port, got ${JSON.stringify(addr)}`, 400);
  let host = addr.slice(0, i);
  const portText = addr.slice(i + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ApiError(`bad request body: ${field} has an invalid port in ${JSON.stringify(addr)} (0-65535)`, 400);
  }
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's net.Listen("tcp", "localhost:0") binds IPv4; Node might pick ::1, so say it explicitly. */
function listenHost(host: string): string | undefined {
  if (host === 'localhost') return '127.0.0.1';
  return host === '' ? undefined : host;
}

/** The listen address as Toxiproxy compares it on update (resolved, port 0 kept). */
export function normalizeListen(listen: string): string {
  const { host, port } = parseHostPort(listen || '127.0.0.1:0', 'listen');
  return formatHostPort(host === 'localhost' ? '127.0.0.1' : host, port);
}

/** One direction of one connection: source socket -> toxic stages -> destination socket. */
class Link implements Sink {
  stages: Stage[] = [];
  private entry: Sink = this;
  private queuedBytes = 0;
  private dstBlocked = false;
  private ended = false;
  readonly host: StageHost;

  constructor(
    readonly direction: Stream,
    private src: net.Socket,
    private dst: net.Socket,
    conn: Connection,
    toxics: ToxicSpec[],
    /** src was made with `onread` (see Connection): chunks come through onChunk, not 'data' */
    readsIntoOwnBuffers = false,
  ) {
    this.host = {
      queued: (delta) => this.queued(delta),
      close: () => conn.destroy(),
      reset: () => conn.reset(),
    };
    for (const t of toxics) this.addToxic(t);
    if (!readsIntoOwnBuffers) src.on('data', (chunk: Buffer) => this.onChunk(chunk));
    src.on('end', () => this.entry.end());
    dst.on('drain', () => {
      this.dstBlocked = false;
      this.maybeResume();
    });
  }

  onChunk(chunk: Buffer): void {
    const e = this.entry;
    if (e === this) {
      // hot path, no toxic: straight write with back-pressure, like stream.pipe
      if (!this.dst.write(chunk, releaser(chunk))) {
        this.dstBlocked = true;
        this.src.pause();
      }
      return;
    }
    e.write(chunk, now());
  }

  // final sink: the destination socket
  write(chunk: Buffer): void {
    if (this.dst.destroyed || this.ended) return;
    if (!this.dst.write(chunk, releaser(chunk))) {
      this.dstBlocked = true;
      this.src.pause();
    }
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    // half-close: the other direction may still carry data (and its latency)
    if (!this.dst.destroyed) this.dst.end();
  }

  private queued(delta: number): void {
    this.queuedBytes += delta;
    if (delta > 0 && this.queuedBytes > HIGH_WATER) this.src.pause();
    else if (delta < 0) this.maybeResume();
  }
  private maybeResume(): void {
    if (!this.dstBlocked && this.queuedBytes <= LOW_WATER && this.src.isPaused() && !this.src.destroyed) this.src.resume();
  }

  addToxic(spec: ToxicSpec): void {
    const stage = createStage(spec, this, this.host);
    const last = this.stages[this.stages.length - 1];
    if (last) last.next = stage;
    else this.entry = stage;
    this.stages.push(stage);
  }
  updateToxic(spec: ToxicSpec): void {
    this.stages.find((s) => s.spec.name === spec.name)?.update(spec);
  }
  removeToxic(name: string): void {
    const i = this.stages.findIndex((s) => s.spec.name === name);
    if (i < 0) return;
    const stage = this.stages[i]!;
    this.stages.splice(i, 1);
    const prev = this.stages[i - 1];
    if (prev) prev.next = stage.next;
    else this.entry = stage.next;
    stage.detach();
  }
  dispose(): void {
    for (const s of this.stages) s.dispose();
  }
}

class Connection {
  readonly upstreamSocket: net.Socket;
  readonly links: Record<Stream, Link>;
  private done = false;
  private closedSockets = 0;

  constructor(
    private proxy: ProxyInstance,
    readonly client: net.Socket,
    target: HostPort,
  ) {
    client.setNoDelay(true); // Go's default for TCP connections; Nagle would add its own delays
    // Responses (the bulk: object downloads) are read in up to 1 MB pieces instead of libuv's
    // 64 KB: fewer reads, events and writes per byte. A small read is copied out so that a queued
    // chunk never pins a whole 1 MB buffer; a large one goes on whole and its buffer is recycled.
    let buf = takeBuffer();
    let down: Link | undefined;
    this.upstreamSocket = net.connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
      writableHighWaterMark: SOCKET_HIGH_WATER,
      onread: {
        buffer: () => buf,
        callback: (n: number, b: Uint8Array) => {
          let chunk: Buffer;
          if (n >= READ_BUFFER / 4) {
            chunk = Buffer.from(b.buffer, b.byteOffset, n);
            pooled.set(chunk, buf);
            buf = takeBuffer();
          } else {
            chunk = Buffer.from(Buffer.from(b.buffer, b.byteOffset, n));
          }
          down?.onChunk(chunk);
          return true;
        },
      },
    } as net.NetConnectOpts);
    this.links = {
      upstream: new Link('upstream', client, this.upstreamSocket, this, proxy.chain('upstream')),
      downstream: (down = new Link('downstream', this.upstreamSocket, client, this, proxy.chain('downstream'), true)),
    };
    for (const s of [client, this.upstreamSocket]) {
      // an error on either side ends the whole connection (upstream refused: the client is closed)
      s.on('error', () => this.destroy());
      s.on('close', () => {
        if (++this.closedSockets === 2) this.finish();
      });
    }
  }
  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.links.upstream.dispose();
    this.links.downstream.dispose();
    this.proxy.connections.delete(this);
  }
  destroy(): void {
    this.client.destroy();
    this.upstreamSocket.destroy();
    this.finish();
  }
  /** reset_peer: close with RST (SO_LINGER 0) */
  reset(): void {
    for (const s of [this.client, this.upstreamSocket]) {
      if (s.destroyed) continue;
      try {
        s.resetAndDestroy();
      } catch {
        s.destroy(); // still connecting: no RST possible
      }
    }
    this.finish();
  }
}

export class ProxyInstance {
  enabled = false;
  readonly connections = new Set<Connection>();
  /** all toxics in the order they were added; each direction is its own chain */
  toxics: ToxicSpec[] = [];
  private server: net.Server | undefined;

  constructor(
    readonly name: string,
    public listen: string,
    public upstream: string,
  ) {}

  chain(stream: Stream): ToxicSpec[] {
    return this.toxics.filter((t) => directionOf(t) === stream);
  }

  /** Toxiproxy lists upstream toxics first, then downstream. */
  toxicArray(): ToxicSpec[] {
    return [...this.chain('upstream'), ...this.chain('downstream')];
  }

  toJSON(): { name: string; listen: string; upstream: string; enabled: boolean; toxics: ToxicSpec[] } {
    return { name: this.name, listen: this.listen, upstream: this.upstream, enabled: this.enabled, toxics: this.toxicArray() };
  }

  async start(): Promise<void> {
    if (this.enabled) return;
    const { host, port } = parseHostPort(this.listen || '127.0.0.1:0', 'listen');
    const target = parseHostPort(this.upstream, 'upstream');
    const server = net.createServer({ allowHalfOpen: true, highWaterMark: SOCKET_HIGH_WATER } as net.ServerOpts, (client) => {
      this.connections.add(new Connection(this, client, target));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        const where = `listen tcp ${formatHostPort(host, port)}`;
        const why = e.code === 'EADDRINUSE' ? 'bind: address already in use' : e.code === 'EADDRNOTAVAIL' ? 'bind: cannot assign requested address' : e.message;
        reject(new ApiError(`${where}: ${why}`, 500));
      });
      server.listen({ host: listenHost(host), port }, () => resolve());
    });
    const addr = server.address() as net.AddressInfo;
    this.listen = formatHostPort(addr.address, addr.port);
    this.server = server;
    this.enabled = true;
  }

  /** Disable: the listener closes and every open connection is cut. */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.connections]) c.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  addToxic(spec: ToxicSpec): void {
    this.toxics.push(spec);
    for (const c of this.connections) c.links[directionOf(spec)].addToxic(spec);
  }
  updateToxic(spec: ToxicSpec): void {
    const i = this.toxics.findIndex((t) => t.name === spec.name);
    this.toxics[i] = spec;
    for (const c of [...this.connections]) c.links[directionOf(spec)].updateToxic(spec);
  }
  removeToxic(name: string): void {
    const spec = this.toxics.find((t) => t.name === name);
    if (!spec) return;
    this.toxics = this.toxics.filter((t) => t !== spec);
    for (const c of [...this.connections]) c.links[directionOf(spec)].removeToxic(name);
  }
}
