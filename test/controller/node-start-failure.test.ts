/**
 * One node that cannot start is reported and the others go on (issue 18): three real node
 * processes share a proxy range with room for two (FOGSIM_PROXY_BASE_PORT 65533, one of its three
 * ports held by another proxy). The third node cannot get a proxy port: it says why and exits, it
 * is not restarted, GET /api/nodes shows it failed with its error, and the other two run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { startSession, type Session } from '../../controller/session.js';
import { createControllerApp } from '../../controller/server.js';
import { loadScenario } from '../../model/scenario.js';
import { startProxyServer, type RunningProxyServer } from '../../proxies/server/index.js';
import { ToxiproxyLatencyControl } from '../../proxies/toxiproxy-control.js';
import { appDir, writeVectorFile } from '../../training/files.js';
import { requiredLabels } from '../../training/labels.js';
import { readInfraConfig } from '../../util/config.js';

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a session whose one node cannot start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-start-fail-'));
  let proxy: RunningProxyServer | undefined;
  let session: Session | undefined;
  afterAll(async () => {
    await session?.close();
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports that node (log, status, GET /api/nodes) and runs the others', async () => {
    const scenarioFile = 'test/fixtures/thesis-fast.yaml';
    const scenario = loadScenario(scenarioFile);
    const vectorsDir = join(dir, 'vectors');
    for (const app of scenario.apps) {
      for (const label of requiredLabels(scenario)) {
        await writeVectorFile(appDir(vectorsDir, app.id), label, { responseTime: 0.5, executionTime: 0, throughput: 0, latency: 0.5, availability: 0.1, consistency: 0 });
      }
    }
    proxy = await startProxyServer({ host: '127.0.0.1', port: 0 });
    // another session's proxy holds the first port of the range: two are left for three apps
    await new ToxiproxyLatencyControl(proxy.url).ensureProxy('other-app-1', '127.0.0.1:65533', '127.0.0.1:9');
    const cfg = { ...readInfraConfig({}), dataDir: join(dir, 'data'), sqlitePath: join(dir, 'data', 'fogsim.db'), toxiproxyUrl: proxy.url, proxyBasePort: 65533 };
    const lines: string[] = [];
    session = await startSession({ scenarioFile, cfg, vectorsDir, train: false, freshVectors: true, log: (l) => lines.push(l), nodeEntry: 'nodes/main.ts', nodeExecArgv: ['--import', 'tsx'] });
    const s = session;

    const failed = await until('a failed node', () => s.nodeStatus().find((st) => st.state === 'failed'));
    expect(failed.errorKind).toBe('start');
    expect(failed.error).toMatch(new RegExp(`^app ${failed.appId} could not start: proxy ${cfg.session}-app-${failed.appId}: no free port left in 65533-65535 \\(FOGSIM_PROXY_BASE_PORT=65533; `));
    expect(failed.restarts).toBe(0);
    await until('the crash logged', () => lines.find((l) => l.startsWith(`node of app ${failed.appId} exited (code 1); ${failed.error}; not restarted`)));

    // the other two run their loops
    const others = scenario.apps.map((a) => a.id).filter((id) => id !== failed.appId);
    for (const id of others) await until(`a run of app ${id}`, async () => ((await s.infra.store.countRuns(id)) > 0 ? true : undefined));
    expect(s.nodeStatus().filter((st) => others.includes(st.appId)).map((st) => st.state)).toEqual(['running', 'running']);

    const app = createControllerApp({ store: s.infra.store, scenario: s.scenario, nodeStatus: s.nodeStatus, operations: s.operations });
    try {
      const nodes = (await request(app).get('/api/nodes').expect(200)).body as { id: number; apps: { id: number; state: string; error: string | null }[] }[];
      const apps = nodes.flatMap((n) => n.apps);
      expect(apps.find((a) => a.id === failed.appId)).toMatchObject({ state: 'failed', error: failed.error });
      for (const id of others) expect(apps.find((a) => a.id === id)).toMatchObject({ state: 'running', error: null });
    } finally {
      app.feed.close();
      app.detach();
    }
  }, 90_000);
});
