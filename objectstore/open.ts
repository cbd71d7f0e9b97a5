import { UserError } from '../model/errors.js';
import type { InfraConfig } from '../util/config.js';
import type { S3Credentials } from './embedded-s3/credentials.js';
import { S3ObjectStore } from './s3-object-store.js';

/** Parses FOGSIM_S3_ENDPOINT (http://host:port) or fails naming the variable and the expected form. */
export function parseS3Endpoint(value: string): { host: string; port: number; useSSL: boolean } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(`FOGSIM_S3_ENDPOINT: "${value}" is not a URL; expected http://host:port, e.g. http://127.0.0.1:19000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`FOGSIM_S3_ENDPOINT: protocol "${url.protocol}" is not supported; expected http://host:port or https://host:port`);
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new UserError(`FOGSIM_S3_ENDPOINT: "${value}" has a path; give only http://host:port (buckets are addressed by the client)`);
  }
  const useSSL = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : useSSL ? 443 : 80;
  // URL keeps IPv6 hosts in brackets; the client wants them bare.
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port, useSSL };
}

/**
 * The object store for this configuration: MinIO (or any S3 server) when FOGSIM_S3_ENDPOINT is set,
 * else the embedded S3 server at `embedded` (started by the caller with startEmbeddedS3).
 */
export function openObjectStore(cfg: InfraConfig, embedded?: { endpoint: { host: string; port: number }; credentials: S3Credentials | false }): S3ObjectStore {
  if (cfg.s3Endpoint) {
    if (!cfg.s3AccessKey || !cfg.s3SecretKey) {
      throw new UserError(`FOGSIM_S3_ACCESS_KEY and FOGSIM_S3_SECRET_KEY: unset; the S3 server at FOGSIM_S3_ENDPOINT=${cfg.s3Endpoint} needs its keys (for scripts/real/minio.sh: source $FOGSIM_REAL_DIR/env.sh)`);
    }
    return new S3ObjectStore({ ...parseS3Endpoint(cfg.s3Endpoint), accessKey: cfg.s3AccessKey, secretKey: cfg.s3SecretKey, source: `FOGSIM_S3_ENDPOINT=${cfg.s3Endpoint}` });
  }
  if (!embedded) {
    throw new UserError('no object store: FOGSIM_S3_ENDPOINT is unset and no embedded S3 server was started; set FOGSIM_S3_ENDPOINT=http://host:port or start the embedded server (startEmbeddedS3)');
  }
  // an open server (credentials false) ignores signatures: any pair will do
  const credentials = embedded.credentials || { accessKey: 'anonymous', secretKey: 'anonymous' };
  return new S3ObjectStore({ ...embedded.endpoint, ...credentials, source: 'embedded S3 server' });
}
