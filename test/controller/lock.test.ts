/**
 * The data-folder lock (controller/lock.ts): read back by pid, refused with a message naming the
 * holder, stale locks taken over, released only by its holder, and atomic between processes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acquireLock, lockFile } from '../../controller/lock.js';
import { UserError } from '../../model/errors.js';
import { isolatedEnv } from '../helpers/env.js';

const execFileP = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const holderScript = join(root, 'test/controller/fixtures/lock-holder.ts');
const base = mkdtempSync(join(tmpdir(), 'fogsim-lock-'));
let n = 0;
const freshDir = () => join(base, `d${++n}`);
afterAll(() => rmSync(base, { recursive: true, force: true }));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A live process that is not us (a sleeping node). */
function sleeper(): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(c);
  return c;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => c.once('exit', r));
  return c.pid!;
}

describe('data-folder lock', () => {
  it('refuses while another live process holds it, naming its pid, its command and how to stop it', () => {
    const dir = freshDir();
    const other = sleeper();
    acquireLock(dir, 'probe')(); // creates the folder
    // the format every version writes: pid on the first line, the command on the second
    writeFileSync(lockFile(dir), `${other.pid}\nup\n`);
    let err: unknown;
    try {
      acquireLock(dir, 'run');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).toContain(`pid ${other.pid}`);
    expect(msg).toContain('fogsim up');
    expect(msg).toContain(`kill ${other.pid}`);
    expect(msg).toContain('FOGSIM_DATA_DIR=');
    expect(msg).toContain(dir);
    // the holder's file is left alone
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(`${other.pid}\nup\n`);
  });

  it('takes over a stale lock (its process is gone) and removes it on release', async () => {
    const dir = freshDir();
    acquireLock(dir, 'probe')();
    const dead = await deadPid();
    writeFileSync(lockFile(dir), `${dead}\nup\n`);
    const release = acquireLock(dir, 'run');
    const text = readFileSync(lockFile(dir), 'utf8').split('\n');
    expect(text[0]).toBe(String(process.pid));
    expect(text[1]).toBe('run');
    release();
    expect(existsSync(lockFile(dir))).toBe(false);
    release(); // idempotent
  });

  it('a garbage lock file counts as stale', () => {
    const dir = freshDir();
    acquireLock(dir, 'probe')();
    writeFileSync(lockFile(dir), 'not a pid\n');
    const release = acquireLock(dir, 'up');
    expect(readFileSync(lockFile(dir), 'utf8').split('\n')[0]).toBe(String(process.pid));
    release();
  });

  it('is held until released: a second acquisition (even in the same process) is refused', () => {
    const dir = freshDir();
    const release = acquireLock(dir, 'up');
    expect(() => acquireLock(dir, 'run')).toThrow(UserError);
    expect(existsSync(lockFile(dir))).toBe(true);
    release();
    acquireLock(dir, 'run')();
  });

  it('release leaves a lock file it did not write', () => {
    const dir = freshDir();
    const release = acquireLock(dir, 'up');
    const other = sleeper();
    // someone else's lock now (written by hand, or taken over after we were judged dead)
    writeFileSync(lockFile(dir), `${other.pid}\nrun\n`);
    release();
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(`${other.pid}\nrun\n`);
  });

  it('a lock of a process that exited without releasing is taken over by the next one', async () => {
    const dir = freshDir();
    // the holder exits (exit() runs the release) or is killed (the file stays): both recover
    const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', holderScript, dir, 'up', String(Date.now()), '0'], { cwd: root, env: isolatedEnv() });
    expect(stdout.trim()).toBe('won');
    expect(existsSync(lockFile(dir))).toBe(false);
    const c = spawn(process.execPath, ['--import', 'tsx', holderScript, dir, 'up', String(Date.now()), '60000'], { cwd: root, env: isolatedEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(c);
    await new Promise<void>((resolve) => c.stdout!.on('data', (d: Buffer) => d.toString().includes('won') && resolve()));
    expect(() => acquireLock(dir, 'run')).toThrow(new RegExp(`pid ${c.pid} \\(fogsim up`));
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
    expect(existsSync(lockFile(dir))).toBe(true);
    acquireLock(dir, 'run')();
  }, 30_000);

  /** Starts `count` processes that call acquireLock at the same instant; their outputs. */
  async function race(dir: string, count: number): Promise<string[]> {
    const startAt = Date.now() + 4_000; // every child is loaded by then (tsx start-up, 2 cores)
    const runs = Array.from({ length: count }, () =>
      execFileP(process.execPath, ['--import', 'tsx', holderScript, dir, 'up', String(startAt), '3000'], { cwd: root, env: isolatedEnv(), timeout: 30_000 })
        .then((r) => r.stdout.trim())
        .catch((e: { stdout?: string; message: string }) => (e.stdout ?? e.message).trim()),
    );
    return Promise.all(runs);
  }

  it('two (or four) processes starting at the same instant: exactly one wins', async () => {
    for (const count of [2, 4]) {
      const dir = freshDir();
      const out = await race(dir, count);
      expect(out.filter((o) => o === 'won'), out.join(' | ')).toHaveLength(1);
      expect(out.filter((o) => o.startsWith('lost: another fogsim is running on'))).toHaveLength(count - 1);
      expect(existsSync(lockFile(dir))).toBe(false); // the winner released it
    }
  }, 60_000);

  it('processes racing to take over the same stale lock: exactly one wins', async () => {
    const dir = freshDir();
    acquireLock(dir, 'probe')();
    writeFileSync(lockFile(dir), `${await deadPid()}\nup\n`);
    const out = await race(dir, 3);
    expect(out.filter((o) => o === 'won'), out.join(' | ')).toHaveLength(1);
    expect(out.filter((o) => o.startsWith('lost: another fogsim is running on'))).toHaveLength(2);
  }, 60_000);
});
