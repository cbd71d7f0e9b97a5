/**
 * Runs the embedded server in its own process (as `fogsim proxy serve` does) for benchmarks and
 * tests: prints {"url": ...} on stdout once listening; exits when stdin closes or on SIGTERM.
 */
import { readProxyServePort } from '../../util/config.js';
import { startProxyServer } from './api.js';

const server = await startProxyServer({ host: '127.0.0.1', port: readProxyServePort() });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
const stop = (): void => void server.close().then(() => process.exit(0));
process.stdin.on('end', stop).on('close', stop).resume();
process.on('SIGTERM', stop);
