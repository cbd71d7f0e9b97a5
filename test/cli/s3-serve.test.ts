import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../objectstore/s3-object-store.js';
import { isolatedEnv } from '../helpers/env.js';

/** `fogsim s3 serve`: the embedded S3 server alone, with its keys from the environment or its data folder. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'fogsim-s3serve-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Served {
  child: ChildProcess;
  lines: string[];
  port: number;
  keys?: { accessKey: string; secretKey: string };
}

/** starts `fogsim s3 serve` and waits for its two banner lines */
async function serve(dir: string, env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 's3', 'serve', '--port', '0', '--dir', dir], { cwd: root, env: isolatedEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const rl = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fogsim s3 serve exited (${code}): ${err}`)));
    rl.on('line', (l) => {
      lines.push(l);
      if (lines.length === 2) resolve();
    });
  });
  const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(lines[0])![1]);
  const m = /access key (\S+), secret key (\S+) /.exec(lines[1]);
  return { child, lines, port, keys: m ? { accessKey: m[1], secretKey: m[2] } : undefined };
}

async function stop(s: Served): Promise<void> {
  s.child.kill('SIGTERM');
  await once(s.child, 'exit');
}

describe('fogsim s3 serve', () => {
  it('without keys in the environment generates a pair, keeps it in --dir (0600), prints it, and serves with it', async () => {
    const dir = join(work, 'data');
    const first = await serve(dir);
    try {
      expect(first.lines[1]).toContain('generated now and kept');
      expect(first.keys!.accessKey).not.toBe('fogsim');
      expect(first.keys!.secretKey.length).toBeGreaterThanOrEqual(24);
      expect(statSync(join(dir, '.credentials.json')).mode & 0o777).toBe(0o600);
      const store = new S3ObjectStore({ host: '127.0.0.1', port: first.port, ...first.keys! });
      await store.ensureBucket('bucket-1');
      await store.putObject('bucket-1', 'k', Buffer.from('served'));
      const parts: Buffer[] = [];
      for await (const c of await store.getObject('bucket-1', 'k')) parts.push(c as Buffer);
      expect(Buffer.concat(parts).toString()).toBe('served');
      // the well-known defaults no longer open it
      await expect(new S3ObjectStore({ host: '127.0.0.1', port: first.port, accessKey: 'fogsim', secretKey: 'fogsim-secret' }).listBuckets()).rejects.toThrow(/refused the credentials/);
      expect(await store.listBuckets()).toEqual(['bucket-1']); // the credentials file is not a bucket
    } finally {
      await stop(first);
    }
    const again = await serve(dir);
    try {
      expect(again.keys).toEqual(first.keys);
      expect(again.lines[1]).toMatch(/\(kept in /);
    } finally {
      await stop(again);
    }
  }, 60_000);

  it('uses FOGSIM_S3_ACCESS_KEY / FOGSIM_S3_SECRET_KEY when set, and refuses one without the other', async () => {
    const s = await serve(join(work, 'env'), { FOGSIM_S3_ACCESS_KEY: 'env-ak', FOGSIM_S3_SECRET_KEY: 'env-secret' });
    try {
      expect(s.lines[1]).toContain('keys from FOGSIM_S3_ACCESS_KEY');
      expect(s.lines[1]).not.toContain('env-secret');
      await new S3ObjectStore({ host: '127.0.0.1', port: s.port, accessKey: 'env-ak', secretKey: 'env-secret' }).ensureBucket('env-bucket');
    } finally {
      await stop(s);
    }
    await expect(serve(join(work, 'half'), { FOGSIM_S3_ACCESS_KEY: 'only-ak' })).rejects.toThrow(/set both \(non-empty\) or neither/);
  }, 60_000);
});
