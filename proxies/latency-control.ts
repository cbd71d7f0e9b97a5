import { NotFoundError } from '../model/errors.js';

/**
 * The latency proxy as the system drives it: one proxy per app and session (`proxyNameForApp`) in front of
 * the object store, whose latency toxic is set before each run and read back for the NL metric;
 * a bandwidth toxic limits the link a run reads over, a reset_peer toxic fails reads of a copy on a
 * node that is down (timeline steps setBandwidth, nodeDown; nodes/node.ts measure).
 * Implemented over toxiproxy-node-client, so it drives the embedded Toxiproxy-compatible server
 * and a real Toxiproxy (FOGSIM_TOXIPROXY_URL) alike.
 */
import { UserError } from '../model/errors.js';

export interface LatencyControl {
  /** Creates the proxy or updates its upstream; returns the address it listens on. */
  ensureProxy(name: string, listen: string, upstream: string): Promise<{ host: string; port: number }>;
  /** Sets (or replaces) the downstream latency toxic; 0 removes it. */
  setLatency(name: string, latencyMs: number, jitterMs?: number): Promise<void>;
  /** The latency in force, read back from the proxy API (0 when no latency toxic). */
  getLatency(name: string): Promise<number>;
  /** Limits the downstream bandwidth to `rateKBps` KB/s (Toxiproxy's bandwidth toxic); 0 lifts it. */
  setBandwidth(name: string, rateKBps: number): Promise<void>;
  /**
   * true: every connection through the proxy is reset as soon as the request arrives (a reset_peer
   * toxic upstream), the way a read of a node that is down fails; false: reads pass again.
   */
  setUnreachable(name: string, unreachable: boolean): Promise<void>;
  removeProxy(name: string): Promise<void>;
  /** Every proxy on the server, any session's, with the address it listens on (`host:port`). */
  listProxies(): Promise<{ name: string; listen: string }[]>;
}

/** The app's proxy is not on the proxy server (it was restarted and lost it): the node creates it again (nodes/node.ts measure). */
export class ProxyMissingError extends NotFoundError {
  constructor(readonly proxy: string, url: string) {
    super(`no proxy named "${proxy}" on the latency proxy at ${url}: create it first (ensureProxy)`);
    this.name = 'ProxyMissingError';
  }
}
/**
 * The proxy server could not listen on the address asked for (Toxiproxy answers 500: the port is
 * held by another proxy or process): the caller may try another port.
 */
export class ListenError extends UserError {}

/** The port of a `host:port` listen address (IPv6 in brackets too). */
export function listenPort(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/**
 * The port a proxy gets in [base, base + count): its own port when it exists there already (a
 * restarted node keeps its address), else the lowest one no other proxy on the server listens on;
 * ports in `skip` (found unusable) are passed over. Undefined when the range is full.
 */
export function pickProxyPort(name: string, proxies: { name: string; listen: string }[], base: number, count: number, skip: ReadonlySet<number> = new Set()): number | undefined {
  const end = base + count;
  const inRange = (p: number) => p >= base && p < end && !skip.has(p);
  const own = proxies.find((p) => p.name === name);
  if (own && inRange(listenPort(own.listen))) return listenPort(own.listen);
  const taken = new Set(proxies.filter((p) => p.name !== name).map((p) => listenPort(p.listen)));
  for (let port = base; port < end; port++) if (!taken.has(port) && !skip.has(port)) return port;
  return undefined;
}

/**
 * The one rule for a proxy's name: `<session>-app-<id>`. The session (util/config.ts, FOGSIM_SESSION)
 * keeps two sessions sharing one proxy server from re-pointing each other's proxies.
 */
export function proxyNameForApp(session: string, appId: number): string {
  return `${session}-app-${appId}`;
}

/**
 * Training's proxy for an app: its own, not the app's. An app added at run time is trained while
 * its node may already be up (a container started at once waits for its vectors): on one proxy,
 * each would re-point it and set latencies under the other's reads.
 */
export function proxyNameForTraining(session: string, appId: number): string {
  return `${session}-train-${appId}`;
}
