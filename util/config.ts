import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { UserError } from '../model/errors.js';

/*
 * Every setting fogsim reads from the environment (FOGSIM_*, DOCKER_HOST), read here and nowhere
 * else: one typed reader per concern, each validating its variables with a message that names the
 * variable. Readers take the environment as an argument (default process.env) so tests pass their own.
 */

type Env = NodeJS.ProcessEnv;

/**
 * Infrastructure settings from the environment. A role with no setting uses its embedded default.
 */
export interface InfraConfig {
  /** mysql://user:pass@host:port/db — unset: embedded SQLite file */
  mysqlUrl?: string;
  sqlitePath: string;
  /** http://host:port of MinIO (with access/secret keys) — unset: embedded S3 server */
  s3Endpoint?: string;
  /** unset: an external endpoint cannot be used; the embedded server uses its data folder's pair */
  s3AccessKey?: string;
  s3SecretKey?: string;
  /** http://host:port of Toxiproxy's API — unset: embedded Toxiproxy-compatible server */
  toxiproxyUrl?: string;
  /** host the nodes reach the app proxies at (the Toxiproxy host; `toxiproxy` in compose) */
  proxyHost: string;
  /** address the app proxies listen on inside the proxy server (0.0.0.0 in containers) */
  proxyListenHost: string;
  /** host:port the proxy server reaches the object store at, when it differs from the S3 endpoint the controller uses (`minio:9000` in compose) */
  s3Upstream?: string;
  /** first port of the app proxies: each gets the lowest free one from here (nodes/deps.ts ensureAppProxy); 0: any free port */
  proxyBasePort: number;
  /** comma-separated brokers — unset: IPC through the controller */
  kafkaBrokers?: string[];
  kafkaPartitions: number;
  kafkaReplication: number;
  /** working folder for embedded state (SQLite file, S3 data, data sets) */
  dataDir: string;
  /**
   * FOGSIM_SESSION: this session's namespace on shared servers (its proxies are `<session>-app-<id>`,
   * proxies/latency-control.ts), so two sessions on one Toxiproxy never re-point each other's;
   * unset: derived from the data dir (sessionFromDataDir), which the data-dir lock keeps to one session
   */
  session: string;
}

export function readInfraConfig(env: Env = process.env): InfraConfig {
  const dataDir = env.FOGSIM_DATA_DIR ?? '.fogsim';
  return {
    mysqlUrl: env.FOGSIM_MYSQL_URL || undefined,
    sqlitePath: env.FOGSIM_SQLITE_PATH ?? `${dataDir}/fogsim.db`,
    s3Endpoint: env.FOGSIM_S3_ENDPOINT || undefined,
    s3AccessKey: env.FOGSIM_S3_ACCESS_KEY || undefined,
    s3SecretKey: env.FOGSIM_S3_SECRET_KEY || undefined,
    toxiproxyUrl: env.FOGSIM_TOXIPROXY_URL || undefined,
    proxyHost: env.FOGSIM_PROXY_HOST ?? '127.0.0.1',
    proxyListenHost: env.FOGSIM_PROXY_LISTEN_HOST ?? env.FOGSIM_PROXY_HOST ?? '127.0.0.1',
    s3Upstream: env.FOGSIM_S3_UPSTREAM || undefined,
    proxyBasePort: portVar(env, 'FOGSIM_PROXY_BASE_PORT', 0),
    kafkaBrokers: readKafkaBrokers(env),
    kafkaPartitions: Number(env.FOGSIM_KAFKA_PARTITIONS ?? 3),
    kafkaReplication: Number(env.FOGSIM_KAFKA_REPLICATION ?? 1),
    dataDir,
    session: sessionVar(env, dataDir),
  };
}

const SESSION_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

/**
 * The default namespace of a session: the data dir's name (readable in the proxy API) and a
 * short hash of its absolute path (two `.fogsim` folders in different places differ).
 */
export function sessionFromDataDir(dataDir: string): string {
  const abs = resolve(dataDir);
  const name = basename(abs).toLowerCase().replace(/[^a-z0-9]+/g, '').slice(0, 16) || 'fogsim';
  return `${name}-${createHash('sha256').update(abs).digest('hex').slice(0, 6)}`;
}

function sessionVar(env: Env, dataDir: string): string {
  const raw = env.FOGSIM_SESSION;
  if (raw === undefined || raw.trim() === '') return sessionFromDataDir(dataDir);
  if (!SESSION_RE.test(raw)) {
    throw new UserError(`FOGSIM_SESSION: expected 1 to 40 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(raw)}; unset it to derive one from FOGSIM_DATA_DIR`);
  }
  return raw;
}

/** A port from the environment: an integer 0..65535 (unset or empty: `fallback`); the error names the variable. */
/**
 * FOGSIM_KAFKA_BROKERS: the brokers of the telemetry bus and the stream bus, each host:port
 * (undefined when unset or empty). The one reader of the variable, so both buses accept and refuse
 * the same lists.
 */
export function readKafkaBrokers(env: Env = process.env): string[] | undefined {
  const list = (env.FOGSIM_KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!list.length) return undefined;
  for (const b of list) {
    const m = /^([^:\s]+):(\d+)$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UserError(`FOGSIM_KAFKA_BROKERS: "${b}" is not host:port; set it to a comma-separated list such as 127.0.0.1:19092`);
  }
  return list;
}

function portVar(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || n > 65535) {
    throw new UserError(`${name}: expected a port, an integer from 0 to 65535 (0: any free port), got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The settings of one fog node process (nodes/main.ts), which the controller passes to it. */
export interface NodeConfig {
  /** FOGSIM_APP_ID: the app this node runs */
  appId: number;
  /** FOGSIM_SCENARIO: the scenario file */
  scenarioFile: string;
  /** FOGSIM_SEED: the controller's --seed, overriding the scenario's; unset or empty: the scenario's */
  seed?: number;
  /** FOGSIM_SESSION_START: epoch ms the first arrival counts from (the controller's session start); unset: the process's own start */
  sessionStartMs?: number;
  /** FOGSIM_STRATEGY: the controller's --strategy (a built-in name or an absolute module path), overriding the scenario's for every app; unset or empty: the scenario's */
  strategy?: string;
  /**
   * FOGSIM_NODE_SETUP_WAIT_S: how long the node waits for the controller's setup (its app, its
   * impact vectors, its data) before giving up; 0 (default): it refuses at once. Containers that
   * start beside a controller still training (compose run, a swarm) set it.
   */
  setupWaitS: number;
}

export function readNodeConfig(env: Env = process.env): NodeConfig {
  const rawId = env.FOGSIM_APP_ID;
  const appId = Number(rawId);
  if (!rawId || !Number.isInteger(appId) || appId < 1) throw new UserError(`FOGSIM_APP_ID must be an app id (integer >= 1), got ${JSON.stringify(rawId ?? '')}`);
  const scenarioFile = env.FOGSIM_SCENARIO;
  if (!scenarioFile) throw new UserError('FOGSIM_SCENARIO is not set; point it at the scenario file, e.g. scenarios/thesis.yaml');
  const rawSeed = env.FOGSIM_SEED;
  if (rawSeed !== undefined && rawSeed !== '' && !/^-?\d+$/.test(rawSeed)) throw new UserError(`FOGSIM_SEED must be a whole number (the controller's --seed), got ${JSON.stringify(rawSeed)}`);
  const strategy = env.FOGSIM_STRATEGY?.trim() || undefined;
  const rawStart = env.FOGSIM_SESSION_START;
  if (rawStart !== undefined && rawStart !== '' && !/^\d+$/.test(rawStart)) throw new UserError(`FOGSIM_SESSION_START must be epoch milliseconds (set by the controller), got ${JSON.stringify(rawStart)}`);
  const rawWait = env.FOGSIM_NODE_SETUP_WAIT_S?.trim();
  if (rawWait && !(/^\d+(\.\d+)?$/.test(rawWait) && Number(rawWait) <= 86_400)) throw new UserError(`FOGSIM_NODE_SETUP_WAIT_S must be seconds from 0 to 86400 (how long a node waits for the controller's setup), got ${JSON.stringify(rawWait)}`);
  const setupWaitS = rawWait ? Number(rawWait) : 0;
  return { appId, scenarioFile, setupWaitS, ...(rawSeed ? { seed: Number(rawSeed) } : {}), ...(strategy ? { strategy } : {}), ...(rawStart ? { sessionStartMs: Number(rawStart) } : {}) };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** FOGSIM_LOG_LEVEL as set (unset or empty: undefined), one of LOG_LEVELS. */
export function readLogLevel(env: Env = process.env): LogLevel | undefined {
  const raw = env.FOGSIM_LOG_LEVEL;
  if (raw === undefined || raw === '') return undefined;
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new UserError(`FOGSIM_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as LogLevel;
}

/** The level logs are written at: FOGSIM_LOG_LEVEL, else warn (silent under the test runner). */
export function logLevel(env: Env = process.env): LogLevel {
  return readLogLevel(env) ?? (env.VITEST ? 'silent' : 'warn');
}

/** FOGSIM_DEBUG: any non-empty value prints the stack trace of an unexpected error. */
export function readDebug(env: Env = process.env): boolean {
  return !!env.FOGSIM_DEBUG;
}

/** FOGSIM_ADMIN_TOKEN: the bearer token of the controller's writes (unset or empty: none). */
export function readAdminToken(env: Env = process.env): string | undefined {
  return env.FOGSIM_ADMIN_TOKEN || undefined;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

/** FOGSIM_API_URL: where `fogsim add-node` looks for a running controller (unset or empty: DEFAULT_API_URL). */
export function readApiUrl(env: Env = process.env): string {
  const raw = env.FOGSIM_API_URL;
  if (!raw) return DEFAULT_API_URL;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UserError(`FOGSIM_API_URL: expected the controller's URL, e.g. ${DEFAULT_API_URL}, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** A failpoint of the fault suite (nodes/failpoint.ts): FOGSIM_FAILPOINT names it, FOGSIM_FAILPOINT_FILE receives the pid. */
export const FAILPOINTS = ['actuator.after-copy', 'actuator.after-commit'] as const;
export type FailpointName = (typeof FAILPOINTS)[number];

export interface FailpointConfig {
  name: FailpointName;
  file: string;
}

/** FOGSIM_FAILPOINT and FOGSIM_FAILPOINT_FILE (both or neither); unset: no failpoint. */
export function readFailpoint(env: Env = process.env): FailpointConfig | undefined {
  const name = env.FOGSIM_FAILPOINT;
  if (!name) return undefined;
  if (!(FAILPOINTS as readonly string[]).includes(name)) throw new UserError(`FOGSIM_FAILPOINT: expected one of ${FAILPOINTS.join(', ')}, got ${JSON.stringify(name)}`);
  const file = env.FOGSIM_FAILPOINT_FILE;
  if (!file) throw new UserError('FOGSIM_FAILPOINT_FILE is not set: a failpoint writes the pid of the node that reached it there');
  return { name: name as FailpointName, file };
}

/** FOGSIM_PROXY_PORT: the port of a proxy server run as a child process (proxies/server/serve-child.ts); unset: any free port. */
export function readProxyServePort(env: Env = process.env): number {
  return portVar(env, 'FOGSIM_PROXY_PORT', 0);
}

/** FOGSIM_TELEMETRY_BUFFER: telemetry messages a node keeps while Kafka is down (unset or empty: the publisher's default); a whole number >= 1. */
export function readTelemetryBuffer(env: Env = process.env): number | undefined {
  const raw = env.FOGSIM_TELEMETRY_BUFFER;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`FOGSIM_TELEMETRY_BUFFER: must be a whole number >= 1, got ${JSON.stringify(raw)}; unset it for the default`);
  return n;
}

/** DOCKER_HOST: the Docker engine's address (read by dockerode itself; here for messages); unset or empty: the local socket. */
export function readDockerHost(env: Env = process.env): string | undefined {
  return env.DOCKER_HOST || undefined;
}
