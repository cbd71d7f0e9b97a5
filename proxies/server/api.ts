/**
 * The embedded Toxiproxy-compatible server: Toxiproxy v2's HTTP API (same routes, JSON shapes
 * and status codes) over net TCP proxies, so toxiproxy-node-client, curl scripts written for
 * Toxiproxy and the original project's calls work unchanged.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../util/logger.js';
import { ApiError, proxyExists, proxyNotFound, toxicNotFound } from './errors.js';
import { normalizeListen, parseHostPort, ProxyInstance } from './proxy.js';
import { decodeNewToxic, decodeToxicUpdate } from './toxics/registry.js';
import { isObject } from './toxics/common.js';

/** The Toxiproxy release whose API this server follows. */
export const TOXIPROXY_API_VERSION = '2.12.0';
export const EMBEDDED_VERSION = `${TOXIPROXY_API_VERSION}-fogsim-embedded`;

export interface ProxyServerOptions {
  host?: string;
  /** 0 = ephemeral (tests); default 8474, Toxiproxy's port */
  port?: number;
}

export interface RunningProxyServer {
  /** http://host:port of the API */
  url: string;
  port: number;
  close(): Promise<void>;
}

type Json = unknown;
interface Reply {
  status: number;
  body?: Json;
  /** an error answered as a result (populate's): application/json, no newline, as Toxiproxy writes it */
  jsonError?: boolean;
}

const log = createLogger('proxy-server');

/** Toxiproxy's routes (api.go) and the methods each takes; the shape names the path's form. */
const ROUTES: Readonly<Record<string, readonly string[]>> = {
  version: ['GET'],
  reset: ['POST'],
  populate: ['POST'],
  proxies: ['GET', 'POST'],
  proxy: ['GET', 'POST', 'PATCH', 'DELETE'],
  toxics: ['GET', 'POST'],
  toxic: ['GET', 'POST', 'PATCH', 'DELETE'],
};

/**
 * No route for the path (404) or not for this method (405): gorilla/mux answers these itself,
 * before Toxiproxy's middleware, so plain text (404) or nothing (405), and no request id.
 */
class RouteMiss extends Error {
  constructor(readonly status: 404 | 405) {
    super(status === 404 ? '404 page not found' : 'method not allowed');
  }
}


function parseBody(text: string): unknown {
  if (text.trim() === '') throw new ApiError('bad request body: EOF', 400);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(`bad request body: ${(e as Error).message}`, 400);
  }
}

/** Fields of a proxy body: name/upstream required (Toxiproxy's messages), listen/enabled optional. */
function proxyFields(body: unknown, where = ''): { name: string; listen: string; upstream: string; enabled: boolean | undefined } {
  if (!isObject(body)) throw new ApiError('bad request body: expected a JSON object', 400);
  for (const k of ['name', 'listen', 'upstream'] as const) {
    if (body[k] !== undefined && typeof body[k] !== 'string') throw new ApiError(`bad request body: ${k} must be a string`, 400);
  }
  if (body.enabled !== undefined && typeof body.enabled !== 'boolean') throw new ApiError('bad request body: enabled must be true or false', 400);
  const name = (body.name as string | undefined) ?? '';
  const upstream = (body.upstream as string | undefined) ?? '';
  if (!name) throw new ApiError(`missing required field: name${where}`, 400);
  if (!upstream) throw new ApiError(`missing required field: upstream${where}`, 400);
  parseHostPort(upstream, 'upstream');
  const listen = (body.listen as string | undefined) || '127.0.0.1:0';
  parseHostPort(listen, 'listen');
  return { name, listen, upstream, enabled: body.enabled as boolean | undefined };
}

export class ProxyApi {
  readonly proxies = new Map<string, ProxyInstance>();
  /** API calls run one at a time, as Toxiproxy's collection locks make them */
  private lock: Promise<unknown> = Promise.resolve();

  private get(name: string): ProxyInstance {
    const p = this.proxies.get(name);
    if (!p) throw proxyNotFound();
    return p;
  }

  async handle(method: string, path: string, bodyText: string): Promise<Reply> {
    const run = this.lock.then(() => this.route(method, path, bodyText));
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async route(method: string, path: string, bodyText: string): Promise<Reply> {
    // Toxiproxy's router matches exact paths: an empty segment (`/proxies/`, `//x`) is its 404, never a match
    const raw = path.split('/').slice(1);
    if (raw.some((x) => x === '')) throw new RouteMiss(404);
    const parts = raw.map(decodeURIComponent);
    const [a, b, c, d] = parts;
    const shape = a === 'proxies' && parts.length === 3 && c === 'toxics' ? 'toxics' : a === 'proxies' && parts.length === 4 && c === 'toxics' ? 'toxic' : a === 'proxies' && parts.length === 2 ? 'proxy' : parts.length === 1 ? a! : '';
    const methods = ROUTES[shape];
    if (!methods) throw new RouteMiss(404);
    if (!methods.includes(method)) throw new RouteMiss(405);
    const m = method === 'PATCH' ? 'POST' : method; // updates take PATCH and (deprecated) POST alike
    switch (shape) {
      case 'version':
        return { status: 200, body: { version: EMBEDDED_VERSION } };
      case 'reset':
        return this.reset();
      case 'populate':
        return this.populate(bodyText);
      case 'proxies':
        if (m === 'GET') return { status: 200, body: Object.fromEntries([...this.proxies].map(([k, p]) => [k, p.toJSON()])) };
        return this.createProxy(parseBody(bodyText));
      case 'proxy': {
        if (m === 'GET') return { status: 200, body: this.get(b!).toJSON() };
        if (m === 'POST') return this.updateProxy(this.get(b!), parseBody(bodyText));
        const p = this.get(b!);
        await p.stop();
        this.proxies.delete(b!);
        log.info({ proxy: b }, 'proxy deleted');
        return { status: 204 };
      }
      case 'toxics': {
        const p = this.get(b!);
        if (m === 'GET') return { status: 200, body: p.toxicArray() };
        const spec = decodeNewToxic(parseBody(bodyText), (name) => p.toxics.some((t) => t.name === name));
        p.addToxic(spec);
        return { status: 200, body: spec };
      }
      default: {
        const p = this.get(b!);
        const t = p.toxics.find((x) => x.name === d);
        if (!t) throw toxicNotFound();
        if (m === 'GET') return { status: 200, body: t };
        if (m === 'POST') {
          const spec = decodeToxicUpdate(t, parseBody(bodyText));
          p.updateToxic(spec);
          return { status: 200, body: spec };
        }
        p.removeToxic(t.name);
        return { status: 204 };
      }
    }
  }

  private async createProxy(body: unknown): Promise<Reply> {
    const f = proxyFields(body);
    if (this.proxies.has(f.name)) throw proxyExists();
    const p = new ProxyInstance(f.name, f.listen, f.upstream);
    // disabled, the listen stays as given, as Toxiproxy shows it (resolved only once it listens)
    if (f.enabled ?? true) await p.start();
    this.proxies.set(f.name, p);
    log.info({ proxy: f.name, listen: p.listen, upstream: p.upstream }, 'proxy created');
    return { status: 201, body: p.toJSON() };
  }

  /** As Toxiproxy: a new listen or upstream restarts the listener; then enabled is applied. */
  private async updateProxy(p: ProxyInstance, body: unknown): Promise<Reply> {
    if (!isObject(body)) throw new ApiError('bad request body: expected a JSON object', 400);
    const merged = proxyFields({ listen: p.listen, upstream: p.upstream, enabled: p.enabled, ...body, name: p.name });
    if (normalizeListen(merged.listen) !== p.listen || merged.upstream !== p.upstream) {
      await p.stop();
      p.listen = merged.listen;
      p.upstream = merged.upstream;
    }
    if (merged.enabled !== p.enabled) {
      if (merged.enabled) await p.start();
      else await p.stop();
    }
    return { status: 200, body: p.toJSON() };
  }

  /** Creates or replaces proxies; one whose listen and upstream did not change keeps its state. */
  private async populate(bodyText: string): Promise<Reply> {
    const done: ProxyInstance[] = [];
    try {
      const body = parseBody(bodyText);
      if (!Array.isArray(body)) throw new ApiError('bad request body: expected a JSON array of proxies', 400);
      const inputs = body.map((x, i) => proxyFields(x, ` at proxy ${i + 1}`));
      for (const f of inputs) {
        const existing = this.proxies.get(f.name);
        if (existing && normalizeListen(f.listen) === existing.listen && f.upstream === existing.upstream) {
          done.push(existing);
          continue;
        }
        if (existing) await existing.stop();
        const p = new ProxyInstance(f.name, f.listen, f.upstream);
        if (f.enabled ?? true) await p.start(); // disabled: the listen stays as given (see createProxy)
        this.proxies.set(f.name, p);
        done.push(p);
      }
      return { status: 201, body: { proxies: done.length ? done.map((p) => p.toJSON()) : null } }; // Toxiproxy: an empty list is null
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError((e as Error).message, 500);
      return { status: err.status, jsonError: true, body: { ...err.toJSON(), proxies: done.length ? done.map((p) => p.toJSON()) : null } };
    }
  }

  /** Re-enables every proxy and removes every toxic. */
  private async reset(): Promise<Reply> {
    for (const p of this.proxies.values()) {
      await p.start();
      for (const t of [...p.toxics]) p.removeToxic(t.name);
    }
    return { status: 204 };
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.stop()));
    this.proxies.clear();
  }
}

/** Starts the API on host:port (default 127.0.0.1:8474; port 0 = ephemeral). */
export async function startProxyServer(opts: ProxyServerOptions = {}): Promise<RunningProxyServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8474;
  const api = new ProxyApi();
  const server = http.createServer((req, res) => {
    // Toxiproxy refuses browsers, so a web page cannot drive the API behind the user's back
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('User agent not allowed\n');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      api
        .handle(req.method ?? 'GET', path, Buffer.concat(chunks).toString('utf8'))
        .catch((e: unknown): Reply | RouteMiss => {
          if (e instanceof RouteMiss) return e;
          if (e instanceof ApiError) return { status: e.status, body: e.toJSON() };
          log.error({ err: e }, 'proxy API failure');
          return { status: 500, body: { error: (e as Error).message, status: 500 } };
        })
        .then((r) => {
          if (r instanceof RouteMiss) {
            if (r.status === 405) res.writeHead(405, { 'content-length': 0 }).end();
            else res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': 19 }).end('404 page not found\n');
            return;
          }
          // framing as probed on Toxiproxy 2.12: every answer has a request id; an error is text/plain JSON with a newline
          const id = { 'x-toxiproxy-request-id': randomBytes(10).toString('hex') };
          if (r.body === undefined) {
            res.writeHead(r.status, id).end();
          } else if (r.status >= 400 && !r.jsonError) {
            const text = JSON.stringify(r.body) + '\n';
            res
              .writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...id, 'content-length': Buffer.byteLength(text) })
              .end(text);
          } else {
            const text = JSON.stringify(r.body);
            res.writeHead(r.status, { 'content-type': 'application/json', ...id, 'content-length': Buffer.byteLength(text) }).end(text);
          }
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  log.info({ host, port: actual }, 'embedded Toxiproxy-compatible server listening');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${actual}`,
    port: actual,
    close: () =>
      (closing ??= (async () => {
        await api.closeAll();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })()),
  };
}
