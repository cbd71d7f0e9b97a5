import { pino, type Logger } from 'pino';
import { logLevel } from './config.js';

/** Structured logs on stderr; FOGSIM_LOG_LEVEL sets the level (default warn, silent under tests). */
export function createLogger(name: string): Logger {
  // warn by default: the UI and the CLI's own lines tell what happens; FOGSIM_LOG_LEVEL=info shows every step
  return pino({ name, level: logLevel(), base: { pid: process.pid } }, pino.destination(2));
}
export type { Logger };
