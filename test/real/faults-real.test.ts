import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, waitUntil } from '../helpers/cli.js';
import { closedPort } from '../helpers/ports.js';
import { outage, S3_KEYS, upSession, writeFaultScenario, type Restartable, type Session } from '../faults/scenarios.js';

/*
 * The fault suite's outage case on the real servers (tier 2): private MinIO and Toxiproxy
 * processes, started from the binaries scripts/real/*.sh installed, on free ports and a folder of
 * their own, killed and started again; the shared servers of scripts/real/up.sh are never touched.
 */
const real = process.env.FOGSIM_REAL === '1';
const work = mkdtempSync(join(tmpdir(), 'fogsim-faults-real-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `name=path` lines of `scripts/real/<script> paths`; a missing binary is a failure naming the fix. */
function binary(script: string, name: string): string {
  const r = spawnSync('bash', [join(repoRoot, 'scripts/real', script), 'paths'], { encoding: 'utf8', timeout: 600_000 });
  const path = r.stdout.split('\n').find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);
  if (r.status !== 0 || !path || !existsSync(path)) throw new Error(`no ${name} binary from scripts/real/${script} paths (exit ${r.status}): ${r.stderr.trim().slice(-500)}; run bash scripts/real/${script} install`);
  return path;
}

/** A server binary run as a private process, restartable on its port. */
function privateServer(cmd: string, args: string[], env: NodeJS.ProcessEnv, readyUrl: string): Restartable {
  let child: ChildProcess | undefined;
  return {
    async start() {
      child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
      await waitUntil(`${cmd} to answer at ${readyUrl}`, async () => (await fetch(readyUrl)).status < 500, 30_000);
    },
    async kill() {
      if (!child || child.exitCode !== null) return;
      const c = child;
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    },
  };
}

describe.skipIf(!real)('fault (real servers): MinIO and Toxiproxy down for 10 s under a running session', () => {
  it('runs fail while each is down and succeed again after, without restarting the session', async () => {
    const [s3Port, consolePort, proxyPort] = [await closedPort(), await closedPort(), await closedPort()];
    const minio = privateServer(binary('minio.sh', 'minio'), ['server', join(work, 'minio'), '--address', `127.0.0.1:${s3Port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], { MINIO_ROOT_USER: S3_KEYS.FOGSIM_S3_ACCESS_KEY, MINIO_ROOT_PASSWORD: S3_KEYS.FOGSIM_S3_SECRET_KEY }, `http://127.0.0.1:${s3Port}/minio/health/live`);
    const toxiproxy = privateServer(binary('toxiproxy.sh', 'server'), ['-host', '127.0.0.1', '-port', String(proxyPort)], {}, `http://127.0.0.1:${proxyPort}/version`);
    const dataDir = join(work, 'data');
    const scenario = await writeFaultScenario(dataDir, 'move');
    let s: Session | undefined;
    try {
      await minio.start();
      await toxiproxy.start();
      // the SQL store stays embedded: only the two servers under test are real
      s = await upSession(dataDir, scenario, { FOGSIM_S3_ENDPOINT: `http://127.0.0.1:${s3Port}`, FOGSIM_TOXIPROXY_URL: `http://127.0.0.1:${proxyPort}` });
      const controller = s.proc.pid;
      for (const server of [minio, toxiproxy]) {
        const { failed, recovered } = await outage(s, server);
        expect(failed.length).toBeGreaterThan(0);
        expect(recovered.length).toBeGreaterThanOrEqual(3);
      }
      expect(s.proc.child.exitCode).toBeNull();
      expect(s.proc.pid).toBe(controller);
    } finally {
      await s?.proc.stop();
      await minio.kill();
      await toxiproxy.kill();
    }
  }, 180_000);
});
