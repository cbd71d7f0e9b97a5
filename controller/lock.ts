import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../model/errors.js';

/** One `fogsim up`/`run` per data folder: two would fight over the same SQLite file and buckets. */
export function acquireLock(dataDir: string, what: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'fogsim.pid');
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && alive(pid)) {
      throw new UserError(`another fogsim (pid ${pid}) is running on ${dataDir}; stop it first, or give this one its own folder with FOGSIM_DATA_DIR=<dir>`);
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
  }
  writeFileSync(file, `${process.pid}\n${what}\n`);
  return () => rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
