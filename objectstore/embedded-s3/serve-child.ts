/*
 * Runs one S3 server in its own process, as the controller would, and prints its endpoint as one
 * JSON line on stdout: `node serve-child.js embedded|s3rver <dir>`. Used by the object-store
 * benchmark to compare servers without sharing the reader's event loop. s3rver is a
 * devDependency, loaded only when asked for.
 */
import { startEmbeddedS3 } from './server.js';

const [kind = 'embedded', dir = '.fogsim/s3'] = process.argv.slice(2);

if (kind === 'embedded') {
  const server = await startEmbeddedS3({ dir });
  console.log(JSON.stringify({ ...server.endpoint, ...server.credentials }));
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else if (kind === 's3rver') {
  const moduleName = 's3rver'; // a variable: s3rver ships no types, and production code never loads it
  const { default: S3rver } = (await import(moduleName)) as {
    default: new (o: object) => { run(): Promise<{ port: number }>; close(): Promise<void> };
  };
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory: dir, silent: true });
  const addr = await server.run();
  console.log(JSON.stringify({ host: '127.0.0.1', port: addr.port, accessKey: 'S3RVER', secretKey: 'S3RVER' }));
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  console.error(`serve-child: unknown server "${kind}" (embedded|s3rver)`);
  process.exit(2);
}
