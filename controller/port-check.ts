import { createServer } from 'node:net';
import { UserError } from '../model/errors.js';

/** Fails fast, before anything starts, when the UI port is taken. */
export async function assertPortFree(host: string, port: number, flag = '--port'): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UserError(`${flag} ${port}: port ${port} on ${host} is already in use (another fogsim up?); stop it or pick another port`));
      else if (e.code === 'EADDRNOTAVAIL') reject(new UserError(`--host ${host}: not an address of this machine`));
      else reject(new UserError(`${flag} ${port}: cannot listen on ${host}:${port} (${e.code ?? e.message})`));
    });
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}
