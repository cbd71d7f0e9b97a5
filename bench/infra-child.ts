import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmbeddedS3 } from '../objectstore/embedded-s3/index.js';
import { openObjectStore } from '../objectstore/open.js';
import { startProxyServer } from '../proxies/server/index.js';
import { openLatencyControl } from '../proxies/toxiproxy-control.js';
import { readInfraConfig } from '../util/config.js';

/*
 * `node dist/bench/infra-child.js DIR FILE`: the embedded S3 server and the latency proxy in a
 * process of their own, as under `fogsim up` (the controller hosts them, every node is a process).
 * Uploads FILE as node-1/bench.json, puts proxy "bench" (zero latency) in front of S3, prints one
 * JSON line with the addresses, and serves until killed.
 */
const [dir, file] = process.argv.slice(2);
const cfg = { ...readInfraConfig({}), dataDir: dir };
await mkdir(join(dir, 's3'), { recursive: true });
const s3 = await startEmbeddedS3({ host: '127.0.0.1', port: 0, dir: join(dir, 's3') });
const proxy = await startProxyServer({ host: '127.0.0.1', port: 0 });
const objects = openObjectStore(cfg, s3);
await objects.ensureBucket('node-1');
await objects.putFile('node-1', 'bench.json', file);
const latency = await openLatencyControl({ ...cfg, toxiproxyUrl: proxy.url });
const via = await latency.ensureProxy('bench', '127.0.0.1:0', `${s3.endpoint.host}:${s3.endpoint.port}`);
await latency.setLatency('bench', 0);
console.log(JSON.stringify({ s3: s3.endpoint, credentials: s3.credentials, proxy: via }));
