/**
 * Exposure (issue 18): a controller on loopback takes writes addressed to it from its own pages
 * only (Host and Origin), so a web page the user opens cannot write to it, a DNS-rebinding one
 * neither; `fogsim up --host` off loopback without a token is refused before anything starts.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControllerApp, startControllerServer, type RunningController } from '../../controller/server.js';
import { isolatedEnv } from '../helpers/env.js';
import { tempStore, type TempStore } from './fixtures.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

describe('writes to a controller on loopback', () => {
  let t: TempStore;
  let srv: RunningController;
  beforeAll(async () => {
    t = await tempStore();
    srv = await startControllerServer({ store: t.store, port: 0 });
  });
  afterAll(async () => {
    await srv?.close();
    await t?.cleanup();
  });
  const put = (headers: Record<string, string>) => fetch(`${srv.url}/api/nodes/1`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: '{"availability": 55}' });

  it('from its own page or from a client without an Origin (curl, the CLI): taken', async () => {
    expect((await put({})).status).toBe(200);
    expect((await put({ origin: srv.url })).status).toBe(200);
    expect((await t.store.getNode(1))!.availability).toBe(55);
  });

  it('from another origin: 403 naming the origin, nothing changed', async () => {
    await t.store.updateNode(1, { availability: 61 });
    for (const origin of ['http://evil.example', `http://localhost:${srv.port + 1}`, 'null']) {
      const res = await put({ origin });
      expect(res.status, origin).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/^origin: writes come from this controller's own pages/);
    }
    expect((await t.store.getNode(1))!.availability).toBe(61);
  });

  it('addressed to another host name (DNS rebinding): 403 naming the host; reads stay open', async () => {
    const app = createControllerApp({ store: t.store, loopbackOnly: true });
    const res = await request(app).put('/api/nodes/1').set('host', `rebind.example:${srv.port}`).send({ availability: 5 }).expect(403);
    expect(res.body.error).toMatch(/^host: this controller listens on loopback .* not to "rebind\.example:\d+"/);
    await request(app).put('/api/nodes/1').set('host', `[::1]:${srv.port}`).send({ availability: 62 }).expect(200);
    await request(app).get('/api/nodes').set('host', 'rebind.example').expect(200);
    expect((await t.store.getNode(1))!.availability).toBe(62);
    app.feed.close();
  });
});

describe('fogsim up --host off loopback without a token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-exposure-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 naming FOGSIM_ADMIN_TOKEN before starting anything (no store, no object store, no node)', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'up', '--host', '0.0.0.0', '--port', '0'], { cwd: root, timeout: 25_000, env: isolatedEnv({ FOGSIM_DATA_DIR: dir, FOGSIM_LOG_LEVEL: 'silent' }) }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/--host 0\.0\.0\.0: the controller would accept writes from the network; set FOGSIM_ADMIN_TOKEN/);
    expect(err?.stdout).not.toMatch(/node\(s\) started|uploaded/);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  }, 30_000);
});
