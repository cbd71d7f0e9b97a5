import { UserError } from '../../model/errors.js';

/** What `fogsim proxy serve` and `fogsim s3 serve` share: the port flag, bind errors, running until a signal. */

export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port > 65535) {
    throw new UserError(`--port must be an integer from 0 to 65535 (0 = any free port), got "${text}"`);
  }
  return port;
}

/** `start()`, with the usual bind failures as UserErrors naming the flag to change (`what`: who may hold the port) */
export async function bindOrExplain<T>(start: () => Promise<T>, host: string, port: number, what: string): Promise<T> {
  try {
    return await start();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new UserError(`port ${port} on ${host} is already in use (${what}?): stop it or choose another --port`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
      throw new UserError(`cannot bind --host ${host}: not an address of this machine (${err.code}); use e.g. 127.0.0.1`);
    }
    if (err.code === 'EACCES') throw new UserError(`no permission to bind port ${port} on ${host}: choose a port above 1023`);
    throw e;
  }
}

export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
