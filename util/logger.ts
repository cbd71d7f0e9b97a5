import { pino, type Logger } from 'pino';

/** Structured logs on stderr; FOGSIM_LOG_LEVEL sets the level (default info, silent under tests). */
export function createLogger(name: string): Logger {
  const level = process.env.FOGSIM_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info');
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}
export type { Logger };
