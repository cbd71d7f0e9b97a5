import { execFileSync } from 'node:child_process';

/*
 * What the tests of the container stacks share (test/real/compose-stack.test.ts,
 * swarm-stack.test.ts, docker-runtime.test.ts): polling until a condition holds, and the
 * local stand-ins of the stack's images (scripts/docker/build-local-images.sh) as variables.
 */

/** Polls f every everyMs until it gives a truthy value; past timeoutMs throws naming what, with f's last error. */
export async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 1000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Builds what is missing or out of date of the local images (cached; progress on stderr) and
 * returns the FOGSIM_*_IMAGE variables naming them, as `build-local-images.sh env` prints them.
 */
export function localImageVars(): Record<string, string> {
  execFileSync('bash', ['scripts/docker/build-local-images.sh', 'build'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000 });
  const printed = execFileSync('bash', ['scripts/docker/build-local-images.sh', 'env'], { encoding: 'utf8' });
  const vars: Record<string, string> = {};
  for (const line of printed.split('\n')) {
    const m = /^(FOGSIM_[A-Z_]+_IMAGE)=(.+)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!;
  }
  return vars;
}

/** The host ports a stack publishes, each set to a free one (FOGSIM_UI_PORT ...: docker-compose.yml). */
export const STACK_PORT_VARS = ['FOGSIM_UI_PORT', 'FOGSIM_ADMINER_PORT', 'FOGSIM_MYSQL_PORT', 'FOGSIM_MINIO_PORT', 'FOGSIM_MINIO_CONSOLE_PORT', 'FOGSIM_TOXIPROXY_PORT'] as const;
