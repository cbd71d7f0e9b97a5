import { UserError } from '../../model/errors.js';
import { startProxyServer } from '../../proxies/server/index.js';

export interface ServeFlags {
  port: string;
  host: string;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port > 65535) {
    throw new UserError(`--port must be an integer from 0 to 65535 (0 = any free port), got "${text}"`);
  }
  return port;
}

export async function serve(opts: ServeFlags): Promise<void> {
  const port = parsePort(opts.port);
  let server;
  try {
    server = await startProxyServer({ host: opts.host, port });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') {
      throw new UserError(`port ${port} on ${opts.host} is already in use (another Toxiproxy or fogsim proxy serve?): stop it or choose another --port`);
    }
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
      throw new UserError(`cannot bind --host ${opts.host}: not an address of this machine (${err.code}); use e.g. 127.0.0.1`);
    }
    if (err.code === 'EACCES') throw new UserError(`no permission to bind port ${port} on ${opts.host}: choose a port above 1023`);
    throw e;
  }
  console.log(`fogsim proxy: Toxiproxy-compatible API on ${server.url} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  console.log('fogsim proxy: stopped');
}
