import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isolatedEnv } from './env.js';

/*
 * The fogsim CLI as a whole process, run from sources (tsx; its nodes run from sources too), in
 * the isolated environment of helpers/env.ts: for suites that start `fogsim up`, kill it, or run
 * the servers it talks to (`s3 serve`, `proxy serve`) as processes of their own.
 */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr so far */
  output(): string;
  /** resolves once `text` was printed; rejects when the process exits first or after `ms` */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  /** the exit code or signal, once it exited */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a crash would end it; resolves when it is gone */
  kill9(): Promise<void>;
}

export function startCli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repoRoot, env: isolatedEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  const end = async (sig: NodeJS.Signals, graceMs: number) => {
    if (gone) return;
    child.kill(sig);
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    async waitFor(text, ms = 90_000) {
      const end = Date.now() + ms;
      const seen = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      while (!seen()) {
        if (gone) throw new Error(`fogsim ${args.join(' ')} exited before printing ${String(text)}:\n${out}`);
        if (Date.now() > end) throw new Error(`fogsim ${args.join(' ')} did not print ${String(text)} within ${ms} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: (graceMs = 15_000) => end('SIGTERM', graceMs),
    kill9: () => end('SIGKILL', 0),
  };
}

/** Polls `check` until it returns a value other than undefined/false; fails naming `what` after `ms`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, ms = 60_000, everyMs = 200): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
