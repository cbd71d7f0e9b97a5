import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';
import { closedPort } from '../helpers/ports.js';

/**
 * `fogsim up --wait-for-servers S`: a server that does not answer yet is waited for (a compose
 * stack restarting all at once), the session starts once it does; without the flag, exit at once.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'fogsim-wait-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
const KEYS = { FOGSIM_S3_ACCESS_KEY: 'wait-test', FOGSIM_S3_SECRET_KEY: 'wait-test-secret-0123' };

describe('fogsim up --wait-for-servers', () => {
  it('without it, an object store that does not answer exits 3 at once, naming it', async () => {
    const s3 = await closedPort();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'up', '--runtime', 'none', '--port', String(await closedPort()), '--proxy-port', String(await closedPort())], {
      cwd: root, env: isolatedEnv({ FOGSIM_DATA_DIR: join(work, 'a'), FOGSIM_S3_ENDPOINT: `http://127.0.0.1:${s3}`, ...KEYS }), encoding: 'utf8', timeout: 60_000,
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`object store at http://127.0.0.1:${s3}`);
  }, 60_000);

  it('with it, waits for the object store, then starts the session', async () => {
    const s3 = await closedPort();
    const up = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'up', '--runtime', 'none', '--port', String(await closedPort()), '--proxy-port', String(await closedPort()), '--wait-for-servers', '60', '--no-train'], {
      cwd: root, env: isolatedEnv({ FOGSIM_DATA_DIR: join(work, 'b'), FOGSIM_S3_ENDPOINT: `http://127.0.0.1:${s3}`, ...KEYS }), stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(up);
    let out = '';
    up.stdout!.on('data', (d) => (out += String(d)));
    up.stderr!.on('data', (d) => (out += String(d)));
    const until = async (what: string, f: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!f()) {
        if (Date.now() > end || up.exitCode !== null) throw new Error(`${what} (exit ${up.exitCode}):\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until('a line saying it waits', () => out.includes('waiting for the servers (--wait-for-servers'), 30_000);
    // the object store comes up late: the embedded S3 server alone, on that port, with the same keys
    const served = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 's3', 'serve', '--port', String(s3), '--dir', join(work, 's3')], { cwd: root, env: isolatedEnv(KEYS), stdio: 'ignore' });
    children.push(served);
    // past the wait: the data set is uploaded to it, then (--no-train, to keep this short) the
    // session stops on the next step, vectors to train, and exits 1 (no longer waiting)
    const code = await new Promise<number | null>((r) => (up.exitCode !== null ? r(up.exitCode) : up.once('exit', r)));
    expect(out).toMatch(/data set: .* uploaded to node-\d/);
    expect(out).toContain('impact vectors missing');
    expect(code).toBe(1);
  }, 90_000);
});
