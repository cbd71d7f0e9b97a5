import { startProxyServer } from '../../proxies/server/index.js';
import { bindOrExplain, parsePort, untilSignal } from './serve.js';

export interface ServeFlags {
  port: string;
  host: string;
}

export async function serve(opts: ServeFlags): Promise<void> {
  const port = parsePort(opts.port);
  const server = await bindOrExplain(() => startProxyServer({ host: opts.host, port }), opts.host, port, 'another Toxiproxy or fogsim proxy serve');
  console.log(`fogsim proxy: Toxiproxy-compatible API on ${server.url} (Ctrl-C to stop)`);
  await untilSignal();
  await server.close();
  console.log('fogsim proxy: stopped');
}
