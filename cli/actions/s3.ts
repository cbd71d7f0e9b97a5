import { resolve } from 'node:path';
import { describeKeys, embeddedS3Credentials, startEmbeddedS3 } from '../../objectstore/embedded-s3/index.js';
import { readInfraConfig } from '../../util/config.js';
import { bindOrExplain, parsePort, untilSignal } from './serve.js';

export interface S3ServeFlags {
  port: string;
  host: string;
  dir: string;
}

/** `fogsim s3 serve`: the embedded S3 server alone, the same start-up as a session's (infra/infra.ts). */
export async function serve(opts: S3ServeFlags): Promise<void> {
  const port = parsePort(opts.port);
  const cfg = readInfraConfig();
  const keys = embeddedS3Credentials(opts.dir, { accessKey: cfg.s3AccessKey, secretKey: cfg.s3SecretKey });
  const server = await bindOrExplain(() => startEmbeddedS3({ host: opts.host, port, dir: opts.dir, credentials: keys.credentials }), opts.host, port, 'MinIO or another fogsim s3 serve');
  console.log(`fogsim s3: S3 API on ${server.url}, data in ${resolve(opts.dir)} (Ctrl-C to stop)`);
  console.log(`fogsim s3: ${describeKeys(keys)}`);
  await untilSignal();
  await server.close();
  console.log('fogsim s3: stopped');
}
