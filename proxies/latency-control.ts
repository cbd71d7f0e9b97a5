/**
 * The latency proxy as the system drives it: one proxy per app and session (`proxyNameForApp`) in front of
 * the object store, whose latency toxic is set before each run and read back for the NL metric;
 * a bandwidth toxic limits the link a run reads over, a reset_peer toxic fails reads of a copy on a
 * node that is down (timeline steps setBandwidth, nodeDown; nodes/node.ts measure).
 * Implemented over toxiproxy-node-client, so it drives the embedded Toxiproxy-compatible server
 * and a real Toxiproxy (FOGSIM_TOXIPROXY_URL) alike.
 */
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
}

/**
 * The one rule for a proxy's name: `<session>-app-<id>`. The session (util/config.ts, FOGSIM_SESSION)
 * keeps two sessions sharing one proxy server from re-pointing each other's proxies.
 */
export function proxyNameForApp(session: string, appId: number): string {
  return `${session}-app-${appId}`;
}
