/**
 * LatencyControl over toxiproxy-node-client: drives the embedded Toxiproxy-compatible server and
 * a real Toxiproxy (FOGSIM_TOXIPROXY_URL) with the same calls.
 */
import { Toxiproxy, ToxiproxyError, type Proxy } from 'toxiproxy-node-client';
import { FogsimError, NotFoundError, UnavailableError, UserError } from '../model/errors.js';
import { MAX_LATENCY_MS } from '../model/limits.js';
import type { InfraConfig } from '../util/config.js';
import { ListenError, ProxyMissingError, type LatencyControl } from './latency-control.js';

/** The toxic this module owns on every proxy: downstream latency, as the original project set it. */
export const LATENCY_TOXIC = 'latency';
/** The bandwidth limit of the link a run reads over (downstream, KB/s). */
export const BANDWIDTH_TOXIC = 'bandwidth';
/** Fails every read while the data's node is down: connections reset as the request arrives. */
export const UNREACHABLE_TOXIC = 'node-down';

/**
 * A latency or bandwidth toxic that is off has toxicity 0 (applies to no connection) instead of being deleted:
 * Toxiproxy 2.12 flushes a link's buffered bytes when a toxic is deleted, and a connection whose
 * reader has stopped makes that flush retry for ever while holding the API (the API answered 503
 * to every request after one such delete in the compose stack). An update only restarts the toxic.
 */
const DISABLED = 0;

interface ToxicJson {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: Record<string, number>;
}

/** The client only keeps "Request failed with status code N"; recover N. */
function statusOf(e: unknown): number | undefined {
  const m = e instanceof Error ? /status code (\d+)/.exec(e.message) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Whether two listen addresses are the same socket: Toxiproxy reports a proxy asked to listen on
 * 0.0.0.0 as [::]; updating it to "0.0.0.0" again restarts its listener and resets every
 * connection through it (seen: a training read cut by a node's start).
 */
function sameAddress(a: string, b: string): boolean {
  const wild = (h: string) => h === '' || h === '::' || h === '0.0.0.0';
  const pa = splitListen(a);
  const pb = splitListen(b);
  return pa.port === pb.port && (pa.host === pb.host || (wild(pa.host) && wild(pb.host)));
}

function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  let host = listen.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(listen.slice(i + 1)) };
}

function parseListen(listen: string): { host: string; port: number } {
  const { host, port } = splitListen(listen);
  // a proxy listening on every interface is reached on loopback from this host
  return { host: host === '' || host === '::' || host === '0.0.0.0' ? '127.0.0.1' : host, port };
}

function checkMs(value: number, field: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new UserError(`${field} must be a number of milliseconds >= 0, got ${value}`);
  }
}

export class ToxiproxyLatencyControl implements LatencyControl {
  private readonly client: Toxiproxy;
  /** per `proxy/toxic`: the attributes this control last put there (or 'none'), so an unchanged state costs no request */
  private readonly applied = new Map<string, string>();

  constructor(readonly url: string) {
    this.client = new Toxiproxy(url.replace(/\/+$/, ''));
  }

  /** Turns client failures into errors a user can act on; `what` says what was being done. */
  private fail(e: unknown, what: string): never {
    if (e instanceof FogsimError) throw e;
    const status = statusOf(e);
    if (status === undefined && e instanceof ToxiproxyError) {
      throw new UnavailableError(
        `the latency proxy at ${this.url} is not reachable (${e.message}) while trying to ${what}: ` +
          `start it (\`fogsim proxy serve --port ${new URL(this.url).port || 8474}\`, or scripts/real/toxiproxy.sh start for a real Toxiproxy) ` +
          `or point FOGSIM_TOXIPROXY_URL at a running one`,
      );
    }
    if (status !== undefined) throw new UserError(`the latency proxy at ${this.url} answered HTTP ${status} when trying to ${what}`);
    throw e;
  }

  /** Toxiproxy answers 500 when it cannot bind a listen address: a ListenError, so the caller may pick another port. */
  private failListen(e: unknown, anyPort: boolean, listen: string, name: string): void {
    if (!anyPort && statusOf(e) === 500) throw new ListenError(`the latency proxy at ${this.url} could not listen on ${listen} for proxy "${name}" (HTTP 500: the port is likely held by another proxy or process)`);
  }

  async listProxies(): Promise<{ name: string; listen: string }[]> {
    try {
      const all = (await this.client.getApi().get<Record<string, { name: string; listen: string }>>(`${this.client.host}/proxies`)).data;
      return Object.values(all).map((p) => ({ name: p.name, listen: p.listen }));
    } catch (e) {
      this.fail(e, 'list its proxies');
    }
  }

  /** Fails fast with an UnavailableError when nothing answers at the URL. */
  async ping(): Promise<string> {
    try {
      return await this.client.getVersion();
    } catch (e) {
      this.fail(e, 'read its version');
    }
  }

  private async find(name: string): Promise<Proxy | undefined> {
    try {
      return await this.client.get(name);
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      this.fail(e, `read proxy "${name}"`);
    }
  }

  async ensureProxy(name: string, listen: string, upstream: string): Promise<{ host: string; port: number }> {
    this.forget(name);
    const existing = await this.find(name);
    const anyPort = /:0$/.test(listen);
    if (existing) {
      const sameListen = anyPort || sameAddress(existing.listen, listen);
      if (sameListen && existing.upstream === upstream && existing.enabled) return parseListen(existing.listen);
      try {
        const updated = await existing.update({ enabled: true, listen: anyPort ? existing.listen : listen, upstream });
        return parseListen(updated.listen);
      } catch (e) {
        this.failListen(e, anyPort, listen, name);
        this.fail(e, `update proxy "${name}" to listen on ${listen} with upstream ${upstream}`);
      }
    }
    try {
      const created = await this.client.createProxy({ name, listen, upstream, enabled: true });
      return parseListen(created.listen);
    } catch (e) {
      // another process created it between our read and our create: use theirs
      if (statusOf(e) === 409) return this.ensureProxy(name, listen, upstream);
      this.failListen(e, anyPort, listen, name);
      this.fail(e, `create proxy "${name}" listening on ${listen} with upstream ${upstream}`);
    }
  }

  async setLatency(name: string, latencyMs: number, jitterMs = 0): Promise<void> {
    checkMs(latencyMs, 'latency');
    checkMs(jitterMs, 'jitter');
    // Toxiproxy takes whole milliseconds; a draw around a link at the bound may pass it by a few ms
    const attributes = { latency: Math.min(MAX_LATENCY_MS, Math.round(latencyMs)), jitter: Math.min(MAX_LATENCY_MS, Math.round(jitterMs)) };
    const proxy = await this.find(name);
    if (!proxy) throw new ProxyMissingError(name, this.url);
    let current;
    try {
      current = await proxy.getToxic<typeof attributes>(LATENCY_TOXIC);
    } catch (e) {
      if (statusOf(e) !== 404) this.fail(e, `read the latency of proxy "${name}"`);
    }
    const off = attributes.latency === 0 && attributes.jitter === 0;
    try {
      if (current) {
        // never removed, only updated: see the note on DISABLED below
        await current.update({ ...current.toJson(), toxicity: off ? DISABLED : 1, attributes });
      } else if (!off) {
        await proxy.addToxic({ name: LATENCY_TOXIC, type: 'latency', stream: 'downstream', toxicity: 1, attributes });
      }
    } catch (e) {
      // a concurrent writer removed/created it first: one retry settles it
      const s = statusOf(e);
      if (s === 404 || s === 409) return this.setLatency(name, latencyMs, jitterMs);
      this.fail(e, `set the latency of proxy "${name}" to ${latencyMs} ms`);
    }
  }

  /**
   * The latency in force: the sum of every latency toxic on the proxy (ours is the one named
   * "latency"; one added by hand through the API counts too, since requests pay it as well).
   */
  async getLatency(name: string): Promise<number> {
    let toxics: ToxicJson[];
    try {
      toxics = (await this.client.getApi().get<ToxicJson[]>(`${this.client.host}/proxies/${encodeURIComponent(name)}/toxics`)).data;
    } catch (e) {
      if (statusOf(e) === 404) throw new NotFoundError(`no proxy named "${name}" on the latency proxy at ${this.url}`);
      this.fail(e, `read the latency of proxy "${name}"`);
    }
    return toxics.filter((t) => t.type === 'latency' && t.toxicity > 0).reduce((sum, t) => sum + (t.attributes.latency ?? 0), 0);
  }

  async setBandwidth(name: string, rateKBps: number): Promise<void> {
    if (!Number.isFinite(rateKBps) || rateKBps < 0) throw new UserError(`bandwidth must be a number of KB/s >= 0, got ${rateKBps}`);
    const rate = Math.round(rateKBps);
    await this.putToxic(name, BANDWIDTH_TOXIC, 'bandwidth', 'downstream', rate > 0 ? { rate } : undefined, `limit the bandwidth of proxy "${name}" to ${rate} KB/s`);
  }

  async setUnreachable(name: string, unreachable: boolean): Promise<void> {
    await this.putToxic(name, UNREACHABLE_TOXIC, 'reset_peer', 'upstream', unreachable ? { timeout: 0 } : undefined, `${unreachable ? 'cut' : 'restore'} the reads through proxy "${name}"`);
  }

  private forget(name: string): void {
    for (const k of [...this.applied.keys()]) if (k.startsWith(`${name}/`)) this.applied.delete(k);
  }

  /** Puts toxic `toxic` on the proxy with these attributes, or disables it (undefined); unchanged: nothing is sent. */
  private async putToxic(name: string, toxic: string, type: 'bandwidth' | 'reset_peer', stream: 'upstream' | 'downstream', attributes: Record<string, number> | undefined, what: string): Promise<void> {
    const key = `${name}/${toxic}`;
    const want = attributes ? JSON.stringify(attributes) : 'none';
    if (this.applied.get(key) === want) return;
    const proxy = await this.find(name);
    if (!proxy) throw new ProxyMissingError(name, this.url);
    let current;
    try {
      current = await proxy.getToxic<Record<string, number>>(toxic);
    } catch (e) {
      if (statusOf(e) !== 404) this.fail(e, what);
    }
    try {
      if (current && !attributes && type === 'reset_peer') {
        // deleted, not disabled: real Toxiproxy sets SO_LINGER 0 on every connection of a proxy that
        // has a reset_peer toxic, even at toxicity 0, so its closes would reset and cut reads short
        await current.remove();
      } else if (current) {
        await current.update({ ...current.toJson(), toxicity: attributes ? 1 : DISABLED, attributes: attributes ?? current.toJson().attributes });
      } else if (attributes) {
        await proxy.addToxic({ name: toxic, type, stream, toxicity: 1, attributes });
      }
    } catch (e) {
      const s = statusOf(e);
      if (s === 404 || s === 409) return this.putToxic(name, toxic, type, stream, attributes, what);
      this.fail(e, what);
    }
    this.applied.set(key, want);
  }

  async removeProxy(name: string): Promise<void> {
    this.forget(name);
    const proxy = await this.find(name);
    if (!proxy) return;
    try {
      await proxy.remove();
    } catch (e) {
      if (statusOf(e) !== 404) this.fail(e, `remove proxy "${name}"`);
    }
  }
}

/**
 * The latency control for this configuration: a real Toxiproxy when FOGSIM_TOXIPROXY_URL is set,
 * else the embedded server at `embeddedUrl`. Checks that something answers (UnavailableError otherwise).
 */
export async function openLatencyControl(cfg: InfraConfig, embeddedUrl?: string): Promise<ToxiproxyLatencyControl> {
  const url = cfg.toxiproxyUrl ?? embeddedUrl;
  if (!url) {
    throw new UserError('no latency proxy configured: set FOGSIM_TOXIPROXY_URL to a Toxiproxy API (e.g. http://127.0.0.1:8474) or start the embedded one (`fogsim proxy serve`)');
  }
  try {
    new URL(url);
  } catch {
    throw new UserError(`FOGSIM_TOXIPROXY_URL is not a URL: ${JSON.stringify(url)} (expected e.g. http://127.0.0.1:8474)`);
  }
  const control = new ToxiproxyLatencyControl(url);
  await control.ping();
  return control;
}
