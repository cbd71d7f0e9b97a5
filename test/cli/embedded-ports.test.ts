import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';
import { closedPort } from '../helpers/ports.js';

/** `fogsim up --proxy-port --s3-port`: the embedded servers where the user says, or a clear error. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'fogsim-ports-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const cli = (args: string[]) => ['--import', 'tsx', 'cli/main.ts', ...args];

describe('fogsim up --proxy-port / --s3-port', () => {
  it('starts the embedded proxy API and S3 server on the given ports and says so', async () => {
    const [ui, proxy, s3] = [await closedPort(), await closedPort(), await closedPort()];
    const dir = join(work, 'a');
    const child = spawn(process.execPath, cli(['up', '--runtime', 'none', '--port', String(ui), '--proxy-port', String(proxy), '--s3-port', String(s3)]), { cwd: root, env: isolatedEnv({ FOGSIM_DATA_DIR: dir }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (out += String(d)));
    try {
      const end = Date.now() + 60_000;
      while (!out.includes('latency proxy:') && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain(`embedded S3 http://127.0.0.1:${s3}`);
      expect(out).toContain(`Toxiproxy-compatible server http://127.0.0.1:${proxy}`);
      // the servers answer there
      expect((await fetch(`http://127.0.0.1:${proxy}/version`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${s3}/minio/health/live`)).status).toBeLessThan(500);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('a port another process holds, or one out of range, exits 1 naming the flag', async () => {
    const held: Server = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    const port = (held.address() as { port: number }).port;
    try {
      const dir = join(work, 'b');
      const taken = spawnSync(process.execPath, cli(['up', '--runtime', 'none', '--port', String(await closedPort()), '--proxy-port', String(port)]), { cwd: root, env: isolatedEnv({ FOGSIM_DATA_DIR: dir }), encoding: 'utf8', timeout: 60_000 });
      expect(taken.status).toBe(1);
      expect(taken.stderr).toContain(`port ${port} for the embedded proxy API (--proxy-port) is in use`);
      const s3 = spawnSync(process.execPath, cli(['run', '--duration', '5', '--report', join(work, 'r.json'), '--s3-port', String(port)]), { cwd: root, env: isolatedEnv({ FOGSIM_DATA_DIR: dir }), encoding: 'utf8', timeout: 60_000 });
      expect(s3.status).toBe(1);
      expect(s3.stderr).toContain(`port ${port} for the embedded S3 server (--s3-port) is in use`);
    } finally {
      held.close();
    }
    const range = spawnSync(process.execPath, cli(['up', '--s3-port', '70000']), { cwd: root, env: isolatedEnv({ FOGSIM_DATA_DIR: work }), encoding: 'utf8' });
    expect(range.status).not.toBe(0);
    expect(range.stderr).toMatch(/--s3-port <port>.*expected a number from 1 to 65535/);
  });
});
