/**
 * `fogsim run` and `fogsim up` on a data folder another fogsim holds: exit 1 at once with a
 * message naming the holder, touching nothing (its lock file stays).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockFile } from '../../controller/lock.js';
import { isolatedEnv } from '../helpers/env.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'fogsim-lockcli-'));
let holder: ChildProcess;
let lockText: string;

beforeAll(async () => {
  holder = spawn(process.execPath, ['--import', 'tsx', 'test/controller/fixtures/lock-holder.ts', dir, 'up', String(Date.now()), '600000'], { cwd: root, env: isolatedEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => (d.toString().includes('won') ? resolve() : reject(new Error(d.toString()))));
    holder.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  lockText = readFileSync(lockFile(dir), 'utf8');
}, 30_000);
afterAll(() => {
  holder?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function fogsim(...args: string[]): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = Date.now();
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, timeout: 25_000, env: isolatedEnv({ FOGSIM_DATA_DIR: dir, FOGSIM_LOG_LEVEL: 'silent' }) });
    return { code: 0, stderr: r.stderr, ms: Date.now() - t0 };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr, ms: Date.now() - t0 };
  }
}

describe('fogsim run / up on a data folder in use', () => {
  for (const args of [
    ['run', '--duration', '30', '--report', join(dir, 'report.json')],
    ['up', '--port', '0'],
  ]) {
    it(`fogsim ${args[0]} exits 1 at once, naming the other process and the way out`, async () => {
      const r = await fogsim(...args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^fogsim: another fogsim is running on ${dir}: pid ${holder.pid} \\(fogsim up`));
      expect(r.stderr).toContain(`kill ${holder.pid}`);
      expect(r.stderr).toContain(`FOGSIM_DATA_DIR=<another dir> fogsim ${args[0]}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.ms).toBeLessThan(15_000);
      // nothing of the holder's was touched
      expect(readFileSync(lockFile(dir), 'utf8')).toBe(lockText);
    }, 30_000);
  }
});
