import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../model/errors.js';

/*
 * One `fogsim up`/`run` per data folder: two would fight over the same SQLite file, buckets and
 * proxies. The lock is the file `<dataDir>/fogsim.pid`:
 *
 *     <pid>\n<what>\n<started ISO time>\n<token>\n
 *
 * created atomically (written whole to a temporary file, then hard-linked to its name, which
 * fails when the name exists), so of two processes starting at the same instant exactly one wins.
 * A lock whose process is gone is taken over; only the holder (same pid and token) removes it.
 */

const LOCK_FILE = 'fogsim.pid';
/** A takeover guard older than this was left by a process that died in the middle of one. */
const STALE_GUARD_MS = 5_000;

interface LockInfo {
  pid: number;
  what: string;
  startedAt?: string;
  token?: string;
}

/** Lock files this process holds (a second acquisition in the same process is refused too). */
const heldHere = new Set<string>();

export function lockFile(dataDir: string): string {
  return join(dataDir, LOCK_FILE);
}

/** Parses a lock file's text; undefined when it holds no pid (empty, garbage). */
export function parseLock(text: string): LockInfo | undefined {
  const [pidLine = '', what = '', startedAt, token] = text.split('\n').map((l) => l.trim());
  if (!/^\d+$/.test(pidLine)) return undefined;
  const pid = Number(pidLine);
  if (!Number.isSafeInteger(pid) || pid < 1) return undefined;
  // what is echoed in a message: keep it short and printable
  return { pid, what: /^[\w .:/-]{1,60}$/.test(what) ? what : 'unknown command', startedAt: startedAt || undefined, token: token || undefined };
}

/**
 * Takes the data folder's lock for `what` (`up`, `run`) or throws a UserError naming the holder
 * and how to stop it. Returns the release function (idempotent; also run at process exit).
 */
export function acquireLock(dataDir: string, what: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = lockFile(dataDir);
  const token = randomBytes(8).toString('hex');
  const content = `${process.pid}\n${what}\n${new Date().toISOString()}\n${token}\n`;
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(file, content)) break;
    const seen = readText(file);
    if (seen === undefined) continue; // released between our create and our read: try again
    const holder = parseLock(seen);
    if (holder && holdsLock(holder, file)) throw lockedError(dataDir, holder, what);
    // stale (its process is gone) or unreadable: take it over, one process at a time
    if (attempt >= 50) throw new UserError(`cannot take over the stale lock ${file}; remove it by hand if no fogsim runs on ${dataDir}`);
    takeOver(file, seen);
  }
  heldHere.add(file);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    heldHere.delete(file);
    // only the file we wrote: a lock another process took over (or wrote) stays
    if (readText(file) === content) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return release;
}

function lockedError(dataDir: string, holder: LockInfo, what: string): UserError {
  const since = holder.startedAt ? `, started ${holder.startedAt}` : '';
  if (holder.pid === process.pid) return new UserError(`this process already holds the lock of ${dataDir} (fogsim ${holder.what}${since})`);
  return new UserError(
    `another fogsim is running on ${dataDir}: pid ${holder.pid} (fogsim ${holder.what}${since}); ` +
      `stop it first (Ctrl-C in its terminal, or \`kill ${holder.pid}\`), ` +
      `or give this one its own folder: FOGSIM_DATA_DIR=<another dir> fogsim ${what}`,
  );
}

/** True when the lock's process is alive (and, where /proc tells, is a Node.js process). */
function holdsLock(holder: LockInfo, file: string): boolean {
  // our own pid: a lock left by an earlier life of this pid (pid 1 in a container), unless we hold it
  if (holder.pid === process.pid) return heldHere.has(file);
  if (!alive(holder.pid)) return false;
  // a pid reused by an unrelated process after a crash or reboot is not a fogsim
  try {
    const cmd = readFileSync(`/proc/${holder.pid}/cmdline`, 'utf8');
    return /node|fogsim/i.test(cmd);
  } catch {
    return true; // no /proc (macOS) or not ours to read: trust the pid
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Creates `file` with `content`, whole, unless it exists: false when it exists. */
function createExclusive(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // a file system without hard links: exclusive create (the content follows at once)
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EXDEV') {
      try {
        writeFileSync(file, content, { flag: 'wx' });
        return true;
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e2;
      }
    }
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Removes the stale lock `file` if it still holds `seen`. A guard file makes the check and the
 * removal one step: without it, two processes could both judge the old lock stale, and the
 * second would remove the lock the first had just created.
 */
function takeOver(file: string, seen: string): void {
  const guard = `${file}.takeover`;
  if (!createExclusive(guard, `${process.pid}\n`)) {
    // another process is taking over right now; a guard left by a crash is removed after a while
    try {
      if (Date.now() - statSync(guard).mtimeMs > STALE_GUARD_MS) rmSync(guard, { force: true });
    } catch {
      // gone already
    }
    sleepMs(5);
    return;
  }
  try {
    if (readText(file) === seen) unlinkSync(file);
  } finally {
    rmSync(guard, { force: true });
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
