import { UserError } from '../model/errors.js';

/**
 * Infrastructure settings from the environment. A role with no setting uses its embedded default.
 */
export interface InfraConfig {
  /** mysql://user:pass@host:port/db — unset: embedded SQLite file */
  mysqlUrl?: string;
  sqlitePath: string;
  /** http://host:port of MinIO (with access/secret keys) — unset: embedded S3 server */
  s3Endpoint?: string;
  s3AccessKey: string;
  s3SecretKey: string;
  /** http://host:port of Toxiproxy's API — unset: embedded Toxiproxy-compatible server */
  toxiproxyUrl?: string;
  /** host the nodes reach the app proxies at (the Toxiproxy host; `toxiproxy` in compose) */
  proxyHost: string;
  /** address the app proxies listen on inside the proxy server (0.0.0.0 in containers) */
  proxyListenHost: string;
  /** host:port the proxy server reaches the object store at, when it differs from the S3 endpoint the controller uses (`minio:9000` in compose) */
  s3Upstream?: string;
  /** first port of the app proxies (app N listens on proxyBasePort + N) */
  proxyBasePort: number;
  /** comma-separated brokers — unset: IPC through the controller */
  kafkaBrokers?: string[];
  kafkaPartitions: number;
  kafkaReplication: number;
  /** working folder for embedded state (SQLite file, S3 data, data sets) */
  dataDir: string;
}

export function readInfraConfig(env: NodeJS.ProcessEnv = process.env): InfraConfig {
  const dataDir = env.FOGSIM_DATA_DIR ?? '.fogsim';
  return {
    mysqlUrl: env.FOGSIM_MYSQL_URL || undefined,
    sqlitePath: env.FOGSIM_SQLITE_PATH ?? `${dataDir}/fogsim.db`,
    s3Endpoint: env.FOGSIM_S3_ENDPOINT || undefined,
    s3AccessKey: env.FOGSIM_S3_ACCESS_KEY ?? 'fogsim',
    s3SecretKey: env.FOGSIM_S3_SECRET_KEY ?? 'fogsim-secret',
    toxiproxyUrl: env.FOGSIM_TOXIPROXY_URL || undefined,
    proxyHost: env.FOGSIM_PROXY_HOST ?? '127.0.0.1',
    proxyListenHost: env.FOGSIM_PROXY_LISTEN_HOST ?? env.FOGSIM_PROXY_HOST ?? '127.0.0.1',
    s3Upstream: env.FOGSIM_S3_UPSTREAM || undefined,
    proxyBasePort: portVar(env, 'FOGSIM_PROXY_BASE_PORT', 0),
    kafkaBrokers: env.FOGSIM_KAFKA_BROKERS ? env.FOGSIM_KAFKA_BROKERS.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    kafkaPartitions: Number(env.FOGSIM_KAFKA_PARTITIONS ?? 3),
    kafkaReplication: Number(env.FOGSIM_KAFKA_REPLICATION ?? 1),
    dataDir,
  };
}

/** A port from the environment: an integer 0..65535 (unset or empty: `fallback`); the error names the variable. */
function portVar(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || n > 65535) {
    throw new UserError(`${name}: expected a port, an integer from 0 to 65535 (0: any free port), got ${JSON.stringify(raw)}`);
  }
  return n;
}
