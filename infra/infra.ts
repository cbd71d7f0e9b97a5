import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openStore } from '../db/open.js';
import { redact } from '../db/mysql-store.js';
import type { Store } from '../db/store.js';
import { openObjectStore, parseS3Endpoint } from '../objectstore/open.js';
import type { S3ObjectStore } from '../objectstore/s3-object-store.js';
import { describeKeys, embeddedS3Credentials, startEmbeddedS3 } from '../objectstore/embedded-s3/index.js';
import { startProxyServer } from '../proxies/server/index.js';
import { openLatencyControl } from '../proxies/toxiproxy-control.js';
import type { LatencyControl } from '../proxies/latency-control.js';
import { UserError } from '../model/errors.js';
import type { InfraConfig } from '../util/config.js';

/**
 * The infrastructure of one fogsim command: every role on its real server when the environment
 * names one (FOGSIM_MYSQL_URL, FOGSIM_S3_ENDPOINT, FOGSIM_TOXIPROXY_URL), else its embedded
 * default started here. The one bring-up: `up` and `run` (controller/session.ts) and `train`
 * (cli, training/infra.ts builds the training's view of it) start it once and pass it on;
 * `close()` stops only what it started.
 */
export interface Infra {
  cfg: InfraConfig;
  store: Store;
  /** the object store as the controller reaches it */
  objects: S3ObjectStore;
  latency: LatencyControl;
  /** host:port the proxies forward to (the S3 server as the proxy server reaches it) */
  s3Upstream: string;
  toxiproxyUrl: string;
  s3Url: string;
  /** one line per role, for the start-up banner */
  describe: string[];
  /** the environment a node process needs to reach the same servers */
  nodeEnv(): Record<string, string>;
  close(): Promise<void>;
}

export interface InfraOptions {
  /** port of the embedded proxy API; default 8474 when free, else any */
  proxyPort?: number;
  /** port of the embedded S3 server; default any free port */
  s3Port?: number;
  /** skip the SQL store (a caller that brings its own) */
  store?: Store;
}

export async function startInfra(given: InfraConfig, opts: InfraOptions = {}): Promise<Infra> {
  let cfg = given;
  const stops: (() => Promise<void>)[] = [];
  const describe: string[] = [];
  const closeAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    mkdirSync(cfg.dataDir, { recursive: true });
    const store = opts.store ?? (await openStore(cfg));
    if (!opts.store) stops.push(() => store.close());
    describe.push(cfg.mysqlUrl ? `SQL store: MySQL ${redact(cfg.mysqlUrl)}` : `SQL store: embedded SQLite ${resolve(cfg.sqlitePath)}`);

    let s3Url: string;
    let objects: S3ObjectStore;
    if (cfg.s3Endpoint) {
      objects = openObjectStore(cfg);
      s3Url = cfg.s3Endpoint;
      describe.push(`object store: ${s3Url}`);
    } else {
      const dir = join(cfg.dataDir, 's3');
      // the keys: FOGSIM_S3_ACCESS_KEY / _SECRET_KEY, else the data folder's own random pair
      const keys = embeddedS3Credentials(dir, { accessKey: cfg.s3AccessKey, secretKey: cfg.s3SecretKey });
      const s3 = await portInUse(() => startEmbeddedS3({ host: '127.0.0.1', port: opts.s3Port ?? 0, dir, credentials: keys.credentials }), opts.s3Port ?? 0, 'the embedded S3 server (--s3-port)');
      stops.push(() => s3.close());
      // the nodes get the same keys through nodeEnv()
      cfg = { ...cfg, s3AccessKey: keys.credentials.accessKey, s3SecretKey: keys.credentials.secretKey };
      objects = openObjectStore(cfg, s3);
      s3Url = s3.url;
      describe.push(`object store: embedded S3 ${s3Url} (data in ${resolve(dir)}; ${describeKeys(keys)})`);
    }
    const s3 = parseS3Endpoint(s3Url);
    const s3Upstream = cfg.s3Upstream ?? `${s3.host}:${s3.port}`;

    let toxiproxyUrl: string;
    if (cfg.toxiproxyUrl) {
      toxiproxyUrl = cfg.toxiproxyUrl;
      describe.push(`latency proxy: Toxiproxy ${toxiproxyUrl}`);
    } else {
      const proxy = await startEmbeddedProxy(opts.proxyPort);
      stops.push(() => proxy.close());
      toxiproxyUrl = proxy.url;
      describe.push(`latency proxy: embedded Toxiproxy-compatible server ${toxiproxyUrl}`);
    }
    const latency = await openLatencyControl({ ...cfg, toxiproxyUrl });

    return {
      cfg,
      store,
      objects,
      latency,
      s3Upstream,
      toxiproxyUrl,
      s3Url,
      describe,
      // every setting explicit (empty = unset): a node must use this session's servers, whatever
      // the controller's own environment says
      nodeEnv: () => ({
        FOGSIM_DATA_DIR: resolve(cfg.dataDir),
        FOGSIM_MYSQL_URL: cfg.mysqlUrl ?? '',
        FOGSIM_SQLITE_PATH: resolve(cfg.sqlitePath),
        FOGSIM_S3_ENDPOINT: s3Url,
        FOGSIM_S3_UPSTREAM: s3Upstream,
        FOGSIM_S3_ACCESS_KEY: cfg.s3AccessKey ?? '',
        FOGSIM_S3_SECRET_KEY: cfg.s3SecretKey ?? '',
        FOGSIM_TOXIPROXY_URL: toxiproxyUrl,
        FOGSIM_PROXY_HOST: cfg.proxyHost,
        FOGSIM_PROXY_LISTEN_HOST: cfg.proxyListenHost,
        FOGSIM_PROXY_BASE_PORT: String(cfg.proxyBasePort),
        // the nodes name their proxies in the controller's namespace (their data dir may differ)
        FOGSIM_SESSION: cfg.session,
        FOGSIM_KAFKA_BROKERS: cfg.kafkaBrokers?.join(',') ?? '',
      }),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** Starts the infrastructure, runs `fn` on it, and stops what was started, also when `fn` throws. */
export async function withInfra<T>(cfg: InfraConfig, opts: InfraOptions, fn: (infra: Infra) => Promise<T>): Promise<T> {
  const infra = await startInfra(cfg, opts);
  try {
    return await fn(infra);
  } finally {
    await infra.close();
  }
}

/** Toxiproxy's port when free (so scripts written for Toxiproxy work), else any free port. */
async function startEmbeddedProxy(port?: number) {
  if (port !== undefined) return portInUse(() => startProxyServer({ host: '127.0.0.1', port }), port, 'the embedded proxy API (--proxy-port)');
  try {
    return await startProxyServer({ host: '127.0.0.1', port: 8474 });
  } catch {
    return startProxyServer({ host: '127.0.0.1', port: 0 });
  }
}


/** A port the user chose that another process holds: an error naming the port and the choice. */
async function portInUse<T>(start: () => Promise<T>, port: number, what: string): Promise<T> {
  try {
    return await start();
  } catch (e) {
    if ((e as { code?: string }).code === 'EADDRINUSE') throw new UserError(`port ${port} for ${what} is in use on 127.0.0.1: pick another port or leave the flag out for a free one`);
    throw e;
  }
}
