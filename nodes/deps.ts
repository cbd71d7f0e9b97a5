/*
 * Wiring of one fog node process: the real store, object store, latency proxy and telemetry
 * from the environment (util/config.ts), assembled into the NodeDeps of the loop.
 */
import { openStore } from '../db/open.js';
import type { Store } from '../db/store.js';
import { UserError } from '../model/errors.js';
import type { JobParams, Scenario } from '../model/scenario.js';
import { openObjectStore } from '../objectstore/open.js';
import type { S3ObjectStore } from '../objectstore/s3-object-store.js';
import { ListenError, pickProxyPort, proxyNameForApp, type LatencyControl } from '../proxies/latency-control.js';
import { MAX_NODE_ID } from '../model/limits.js';
import { openLatencyControl } from '../proxies/toxiproxy-control.js';
import type { TelemetryPublisher } from '../telemetry/bus.js';
import { openTelemetry } from '../telemetry/open.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { InfraConfig } from '../util/config.js';
import { createLogger, type Logger } from '../util/logger.js';
import { appSeed, createRng } from '../util/rng.js';
import { runJobOnObject } from './job/job.js';
import type { NodeDeps, RunJobFn } from './node.js';

/** How many ports from FOGSIM_PROXY_BASE_PORT the app proxies may take: one per app emulation can run. */
export const PROXY_PORT_COUNT = MAX_NODE_ID;

/**
 * Creates (or re-points) an app's proxy. Without FOGSIM_PROXY_BASE_PORT it listens on any free
 * port; with one, on a port allocated from the server's proxy list (pickProxyPort), never
 * derived from the id: a port another proxy or process turns out to hold is passed over.
 */
export async function ensureAppProxy(
  name: string,
  latency: LatencyControl,
  cfg: Pick<InfraConfig, 'proxyListenHost' | 'proxyBasePort'>,
  upstream: string,
): Promise<{ host: string; port: number }> {
  const base = cfg.proxyBasePort;
  if (base === 0) return latency.ensureProxy(name, `${cfg.proxyListenHost}:0`, upstream);
  const count = Math.min(PROXY_PORT_COUNT, 65536 - base);
  const unusable = new Set<number>();
  for (;;) {
    const proxies = await latency.listProxies();
    const port = pickProxyPort(name, proxies, base, count, unusable);
    if (port === undefined) {
      const others = proxies.filter((p) => p.name !== name).length;
      throw new UserError(
        `proxy ${name}: no free port left in ${base}-${base + count - 1} (FOGSIM_PROXY_BASE_PORT=${base}; ${others} other proxies on the server${unusable.size ? `, ${unusable.size} port(s) held by other processes` : ''}): lower FOGSIM_PROXY_BASE_PORT, remove the proxies no session uses, or unset it to use any free port`,
      );
    }
    try {
      return await latency.ensureProxy(name, `${cfg.proxyListenHost}:${port}`, upstream);
    } catch (e) {
      // another node took the port between our read and our create, or a process holds it
      if (!(e instanceof ListenError)) throw e;
      unusable.add(port);
    }
  }
}

/**
 * The app's proxy in front of the object store, and a client that reads through it: every byte
 * of the job pays the latency injected on that proxy, and every ranged request of
 * `job.rangeBytes` pays it once more (scenario `job`).
 */
export async function proxiedJob(
  appId: number,
  objects: S3ObjectStore,
  latency: LatencyControl,
  cfg: Pick<InfraConfig, 'proxyHost' | 'proxyListenHost' | 'proxyBasePort' | 's3Upstream' | 'session'>,
  job: Partial<JobParams> = {},
  name = proxyNameForApp(cfg.session, appId),
): Promise<{ runJob: RunJobFn; restoreProxy: () => Promise<void> }> {
  const upstream = cfg.s3Upstream ?? `${objects.endpoint.host}:${objects.endpoint.port}`;
  const addr = await ensureAppProxy(name, latency, cfg, upstream);
  // a proxy listening on every interface is reached at the proxy server's host
  const host = cfg.proxyListenHost === cfg.proxyHost ? addr.host : cfg.proxyHost;
  const via = objects.viaEndpoint(host, addr.port);
  const runJob: RunJobFn = (copy, signal) => runJobOnObject(via, copy.bucket, copy.objectKey, { rangeBytes: job.rangeBytes, timeoutMs: job.timeoutMs, signal });
  // a proxy server that restarted has lost our proxy: create it again on the port the client reads through
  const restoreProxy = async () => void (await latency.ensureProxy(name, `${cfg.proxyListenHost}:${addr.port}`, upstream));
  return { runJob, restoreProxy };
}

/**
 * Telemetry: Kafka when brokers are configured (telemetry/open.ts decides), else IPC when the
 * controller started us as a child process; a node started by hand publishes nothing (the store
 * holds every run anyway).
 */
export function openNodeTelemetry(cfg: InfraConfig, log: Logger): TelemetryPublisher | undefined {
  const t = openTelemetry(cfg, { logger: log, clientId: 'fogsim-node' });
  if (t.kind === 'ipc' && typeof process.send !== 'function') return undefined;
  return t.publisher();
}

export interface BuiltDeps {
  deps: NodeDeps;
  close(): Promise<void>;
}

export async function buildNodeDeps(o: { scenario: Scenario; appId: number; cfg: InfraConfig; signal: AbortSignal; clock?: Clock; log?: Logger }): Promise<BuiltDeps> {
  const { scenario, appId, cfg, signal } = o;
  const log = o.log ?? createLogger(`node-${appId}`);
  if (!cfg.s3Endpoint) throw new UserError('FOGSIM_S3_ENDPOINT is not set: a node reads the data through the object store the controller started; set it to http://host:port');
  if (!cfg.toxiproxyUrl) throw new UserError('FOGSIM_TOXIPROXY_URL is not set: a node injects latency through the proxy the controller started; set it to http://host:port');
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((e) => log.warn({ err: e }, 'close failed'));
  };
  try {
    const store: Store = await openStore(cfg);
    closers.push(() => store.close());
    // an app added at run time (add-node --goal) lives in the store only, not in the scenario file
    const known = new Set([...scenario.apps.map((a) => a.id), ...(await store.listApps()).map((a) => a.id)]);
    if (!known.has(appId)) {
      throw new UserError(`FOGSIM_APP_ID=${appId}: no app ${appId} in scenario ${scenario.source ?? scenario.name} nor in the store; known apps: ${[...known].sort((a, b) => a - b).join(', ')}`);
    }
    const objects = openObjectStore(cfg);
    const latency = await openLatencyControl(cfg);
    const { runJob, restoreProxy } = await proxiedJob(appId, objects, latency, cfg, scenario.job);
    const telemetry = openNodeTelemetry(cfg, log);
    if (telemetry) closers.push(() => telemetry.close());
    const deps: NodeDeps = {
      store,
      objects,
      latency,
      telemetry,
      clock: o.clock ?? systemClock,
      rng: createRng(appSeed(scenario.seed, appId)),
      scenario,
      appId,
      session: cfg.session,
      runJob,
      restoreProxy,
      signal,
      log,
    };
    return { deps, close };
  } catch (e) {
    await close();
    throw e;
  }
}
