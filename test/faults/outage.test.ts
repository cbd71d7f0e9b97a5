import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../helpers/cli.js';
import { closedPort } from '../helpers/ports.js';
import { outage, S3_KEYS, upSession, writeFaultScenario, type Restartable, type Session } from './scenarios.js';

/*
 * The object store down for 10 s, then the proxy (issue 18, item 9): the session runs on twin
 * servers started as processes of their own (`fogsim s3 serve`, `fogsim proxy serve`), which are
 * killed and started again on the same port (the S3 twin on the same folder). The runs of the
 * outage fail with an error, the runs after it succeed, and the session is the same process.
 */
const work = mkdtempSync(join(tmpdir(), 'fogsim-faults-outage-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A twin server process, restartable on its port. */
function twin(args: string[], ready: string): Restartable & { proc?: CliProcess } {
  const t: Restartable & { proc?: CliProcess } = {
    async start() {
      t.proc = startCli(args, S3_KEYS);
      await t.proc.waitFor(ready, 30_000);
    },
    async kill() {
      await t.proc?.kill9();
    },
  };
  return t;
}

describe('fault: object store and proxy down for 10 s under a running session', () => {
  it('runs fail with an error while each is down and succeed again after, without restarting the session', async () => {
    const dataDir = join(work, 'data');
    const scenario = await writeFaultScenario(dataDir, 'move');
    const [s3Port, proxyPort] = [await closedPort(), await closedPort()];
    const s3 = twin(['s3', 'serve', '--port', String(s3Port), '--dir', join(work, 's3')], `127.0.0.1:${s3Port}`);
    const proxy = twin(['proxy', 'serve', '--port', String(proxyPort)], `127.0.0.1:${proxyPort}`);
    let s: Session | undefined;
    try {
      await s3.start();
      await proxy.start();
      s = await upSession(dataDir, scenario, { FOGSIM_S3_ENDPOINT: `http://127.0.0.1:${s3Port}`, FOGSIM_TOXIPROXY_URL: `http://127.0.0.1:${proxyPort}` });
      const controller = s.proc.pid;
      for (const server of [s3, proxy]) {
        const { failed, recovered } = await outage(s, server);
        expect(failed.length, 'runs during the outage').toBeGreaterThan(0);
        for (const r of failed) expect(r.error).toMatch(/\S/);
        expect(recovered.length).toBeGreaterThanOrEqual(3);
      }
      // the same session all along, its API still answering
      expect(s.proc.child.exitCode).toBeNull();
      expect(s.proc.pid).toBe(controller);
      expect((await s.api<{ ok: boolean }>('/health')).ok).toBe(true);
    } finally {
      await s?.proc.stop();
      await s3.kill();
      await proxy.kill();
    }
  }, 120_000);
});
