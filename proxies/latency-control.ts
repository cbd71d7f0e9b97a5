/**
 * The latency proxy as the system drives it: one proxy per app (`proxyNameForApp`) in front of
 * the object store, whose latency toxic is set before each run and read back for the NL metric.
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
  removeProxy(name: string): Promise<void>;
}

export function proxyNameForApp(appId: number): string {
  return `app-${appId}`;
}
