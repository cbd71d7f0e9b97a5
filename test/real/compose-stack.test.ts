import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { closedPort } from '../helpers/ports.js';
import { proxyNameForApp } from '../../proxies/latency-control.js';
import { localImageVars, STACK_PORT_VARS, until } from '../helpers/stack.js';

/*
 * `docker compose up` of docker-compose.yml, for real: every service in a container on a real
 * engine (scripts/docker/engine.sh), with the local stand-ins of the public images
 * (scripts/docker/build-local-images.sh; nothing can be pulled here) and Compose built from its
 * Go module (scripts/docker/compose.sh). The thesis experiment converges in the containers; the
 * admin UI in Chromium edits a latency and an availability and the next runs show them; node 4
 * joins through `fogsim add-node`; the latency on the data path is measured inside a node
 * container; a restart keeps the events table; a bad MySQL password fails `up --wait` naming the
 * controller. In CI a missing engine or plugin is a failure, never a skip.
 */
const run = promisify(execFile);
const ready = Boolean(process.env.DOCKER_HOST) && spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
const TOKEN = 'compose-test-token';

if (!ready && process.env.CI) {
  describe('docker compose stack', () => {
    it('has a Docker engine and the compose plugin in CI', () => {
      throw new Error('CI is set but DOCKER_HOST is unset or `docker compose` does not run: .ci/run starts scripts/docker/engine.sh and installs scripts/docker/compose.sh');
    });
  });
}

interface PsRow {
  Service: string;
  State: string;
  Health: string;
}
interface Run {
  id: number;
  appId: number;
  dataNode: number | null;
  latencyMs: number | null;
  availability: number | null;
  error: string | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe.skipIf(!ready)('docker compose stack (skipped: no DOCKER_HOST or no `docker compose`; scripts/docker/engine.sh start, scripts/docker/compose.sh install)', () => {
  const project = `fogsim-ct-${process.pid}`;
  const timings: Record<string, number> = {};
  let env: NodeJS.ProcessEnv;
  let api: string;
  let toxiproxyApi: string;

  /** The environment compose sees: no FOGSIM_* of the real tier, only the stack's own settings. */
  function composeEnv(images: Record<string, string>, ports: Record<string, number>): NodeJS.ProcessEnv {
    const e: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: process.env.DOCKER_HOST, ...images };
    if (process.env.DOCKER_CONFIG) e.DOCKER_CONFIG = process.env.DOCKER_CONFIG;
    for (const [k, v] of Object.entries(ports)) e[k] = String(v);
    e.FOGSIM_ADMIN_TOKEN = TOKEN;
    e.FOGSIM_LOG_LEVEL = 'warn';
    return e;
  }

  const compose = (args: string[], extra: NodeJS.ProcessEnv = {}, timeoutMs = 300_000) =>
    run('docker', ['compose', '-p', project, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });

  async function get<T>(path: string): Promise<T> {
    const r = await fetch(`${api}${path}`, { signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  }
  async function lastRunId(): Promise<number> {
    const page = await get<{ items: Run[] }>('/api/runs?order=desc&limit=1');
    return page.items[0]?.id ?? 0;
  }
  /** the name of an app's proxy on Toxiproxy, by the one rule, in the session the controller reports */
  async function proxyOf(appId: number): Promise<string> {
    const { session } = await get<{ session: string }>('/api/health');
    return proxyNameForApp(session, appId);
  }
  /** every run after afterId, oldest first, page by page (a page holds at most `limit`) */
  async function runsAfter(afterId: number): Promise<Run[]> {
    const all: Run[] = [];
    for (let cursor = afterId; ; ) {
      const items = (await get<{ items: Run[] }>(`/api/runs?afterId=${cursor}&limit=200`)).items;
      all.push(...items);
      if (items.length < 200) return all;
      cursor = items.at(-1)!.id;
    }
  }

  beforeAll(async () => {
    let t = Date.now();
    const images = localImageVars();
    timings.imagesMs = Date.now() - t;
    const ports: Record<string, number> = {};
    for (const k of STACK_PORT_VARS) ports[k] = await closedPort();
    env = composeEnv(images, ports);
    api = `http://127.0.0.1:${ports.FOGSIM_UI_PORT}`;
    toxiproxyApi = `http://127.0.0.1:${ports.FOGSIM_TOXIPROXY_PORT}`;
    t = Date.now();
    const up = await compose(['up', '-d', '--wait', '--no-build'], {}, 600_000).catch(async (e: { stderr?: string }) => {
      const logs = await compose(['logs', '--tail', '40']).catch(() => ({ stdout: '' }));
      throw new Error(`docker compose up -d --wait failed:\n${e.stderr}\n${logs.stdout}`);
    });
    timings.upMs = Date.now() - t;
    process.stdout.write(up.stderr);
  }, 1_200_000);

  afterAll(async () => {
    if (!env) return;
    const t = Date.now();
    await compose(['down', '-v', '--remove-orphans', '--timeout', '5'], {}, 180_000).catch((e: Error) => process.stderr.write(`compose down: ${e.message}\n`));
    timings.downMs = Date.now() - t;
    process.stdout.write(`compose stack timings: ${JSON.stringify(timings)}\n`);
  }, 200_000);

  it('up --wait starts every service of the file: servers healthy, controller healthy, three nodes running', async () => {
    const { stdout } = await compose(['ps', '--all', '--format', 'json']);
    // one JSON object per line (Compose v2.21+), or one array (older)
    const rows: PsRow[] = stdout.trim().startsWith('[') ? JSON.parse(stdout) : stdout.trim().split('\n').map((l) => JSON.parse(l) as PsRow);
    const byService = Object.fromEntries(rows.map((r) => [r.Service, r]));
    expect(Object.keys(byService).sort()).toEqual(['adminer', 'controller', 'kafka', 'minio', 'mysql', 'node1', 'node2', 'node3', 'toxiproxy']);
    for (const r of rows) expect(r.State, `${r.Service} state`).toBe('running');
    for (const s of ['mysql', 'minio', 'toxiproxy', 'kafka', 'controller']) expect(byService[s]!.Health, `${s} health`).toBe('healthy');
    const health = await get<{ ok: boolean; store: string }>('/api/health');
    expect(health.ok).toBe(true);
    expect(health.store).toMatch(/mysql/i);
    // Adminer answers with its login page, pointed at the mysql service
    const adminer = await fetch(`http://127.0.0.1:${env.FOGSIM_ADMINER_PORT}/`);
    expect(adminer.status).toBe(200);
    expect(await adminer.text()).toMatch(/Adminer/);
  });

  it('the thesis experiment converges in the containers', async () => {
    const t = Date.now();
    const c = await until('convergence', async () => {
      const s = await get<{ converged: boolean; openEvents: number }>('/api/convergence');
      return s.converged ? s : undefined;
    }, 480_000, 3000);
    timings.convergeMs = Date.now() - t;
    expect(c.openEvents).toBe(0);
    const events = await get<{ total: number; items: { actionLabel?: string; label?: string }[] }>('/api/events?limit=100');
    expect(events.total).toBeGreaterThan(0);
    const runs = await get<{ total: number }>('/api/runs?limit=1');
    expect(runs.total).toBeGreaterThan(3);
  }, 600_000);

  it('latency on the data path, measured inside a node container, is the link latency (within 10 %)', async () => {
    const apps = await get<{ id: number; nodeId: number; dataNode: number }[]>('/api/apps');
    const remote = apps.find((a) => a.dataNode !== a.nodeId);
    expect(remote, `an app reading a copy on another node: ${JSON.stringify(apps)}`).toBeDefined();
    const links = await get<{ from: number; to: number; latencyMs: number }[]>('/api/links');
    const link = links.find((l) => l.from === remote!.nodeId && l.to === remote!.dataNode)!;
    const proxies = (await (await fetch(`${toxiproxyApi}/proxies`)).json()) as Record<string, { listen: string; upstream: string }>;
    const name = await proxyOf(remote!.id);
    const proxy = proxies[name];
    expect(proxy, `proxy ${name} on Toxiproxy: ${Object.keys(proxies).join(', ')}`).toBeDefined();
    const port = Number(proxy!.listen.split(':').pop());
    // inside the app's node container: the same request straight to MinIO and through the app's proxy
    const script = `
      const time = async (u) => { const t = performance.now(); const r = await fetch(u); await r.arrayBuffer(); return performance.now() - t; };
      (async () => { const out = { direct: [], proxied: [] };
        for (let i = 0; i < 5; i++) { out.direct.push(await time('http://minio:9000/minio/health/live')); out.proxied.push(await time('http://toxiproxy:${port}/minio/health/live')); }
        console.log(JSON.stringify(out)); })().catch((e) => { console.error(e); process.exit(1); });`;
    const { stdout } = await compose(['exec', '-T', `node${remote!.nodeId}`, 'node', '-e', script], {}, 120_000);
    const m = JSON.parse(stdout.trim().split('\n').pop()!) as { direct: number[]; proxied: number[] };
    const added = median(m.proxied) - median(m.direct);
    timings.linkMs = link.latencyMs;
    timings.measuredAddedMs = Math.round(added);
    expect(link.latencyMs).toBeGreaterThan(0);
    expect(Math.abs(added - link.latencyMs)).toBeLessThanOrEqual(link.latencyMs * 0.1);
  }, 180_000);

  it('the admin UI in Chromium edits a latency and an availability, and the next runs show both', async () => {
    const apps = await get<{ id: number; nodeId: number; dataNode: number }[]>('/api/apps');
    const remote = apps.find((a) => a.dataNode !== a.nodeId)!;
    const links = await get<{ from: number; to: number; latencyMs: number }[]>('/api/links');
    const before = links.find((l) => l.from === remote.nodeId && l.to === remote.dataNode)!.latencyMs;
    const nodes = await get<{ id: number; availability: number }[]>('/api/nodes');
    const availBefore = nodes.find((n) => n.id === remote.dataNode)!.availability;
    // new values, different from the old ones and within the bounds
    const latency = before >= 900 ? before - 300 : before + 300;
    const availability = availBefore >= 90 ? availBefore - 7 : availBefore + 7;

    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${api}/`);
      await page.evaluate((tok) => localStorage.setItem('fogsim.adminToken', tok), TOKEN);
      await page.reload();
      const latMark = await lastRunId();
      const cell = page.locator(`#lat-${remote.nodeId}-${remote.dataNode}`);
      await expect.poll(() => cell.inputValue(), { timeout: 10_000 }).toBe(String(before));
      await cell.fill(String(latency));
      await cell.press('Enter');
      await page.locator('#matrix-msg', { hasText: 'saved' }).waitFor({ timeout: 10_000 });
      const availMark = await lastRunId();
      const avail = page.locator(`#avail-${remote.dataNode}`);
      await avail.fill(String(availability));
      await avail.press('Enter');
      await page.locator('#nodes-msg', { hasText: 'saved' }).waitFor({ timeout: 10_000 });
      expect(errors).toEqual([]);

      // the next runs of the app over that link carry them (a run's latency is a draw around the
      // link's, sd 7 ms; its availability is the data node's as stored)
      const onLink = async (after: number) => (await runsAfter(after)).filter((r) => r.appId === remote.id && r.dataNode === remote.dataNode && r.latencyMs !== null);
      const withLatency = await until('a run at the new latency', async () => (await onLink(latMark)).find((r) => Math.abs(r.latencyMs! - latency) <= latency * 0.1), 180_000, 2000);
      expect(Math.abs(withLatency.latencyMs! - before)).toBeGreaterThan(latency * 0.1);
      const withAvail = await until('a run at the new availability', async () => (await onLink(availMark)).find((r) => r.availability === availability), 180_000, 2000);
      expect(withAvail.availability).toBe(availability);
      // and Toxiproxy's toxic on the app's proxy follows the link
      const toxics = (await (await fetch(`${toxiproxyApi}/proxies/${await proxyOf(remote.id)}/toxics`)).json()) as { name: string; toxicity: number; attributes: { latency: number } }[];
      const lat = toxics.find((x) => x.name === 'latency' && x.toxicity > 0)!;
      expect(Math.abs(lat.attributes.latency - latency)).toBeLessThanOrEqual(latency * 0.1);
    } finally {
      await browser?.close();
    }
  }, 480_000);

  it('fogsim add-node adds node 4 with an app; its container, started at once, waits for the training and runs', async () => {
    const links = await get<{ from: number; to: number; latencyMs: number }[]>('/api/links');
    expect(links.some((l) => l.from === 4 || l.to === 4)).toBe(false);
    const cli = spawnSync(
      process.execPath,
      ['bin/fogsim.js', 'add-node', '--id', '4', '--latency', '1=900,2=700,3=500', '--availability', '90', '--goal', '{"metric":"availability","min":50}', '--api', api],
      { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, FOGSIM_ADMIN_TOKEN: TOKEN }, timeout: 60_000 },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const nodes = await get<{ id: number }[]>('/api/nodes');
    expect(nodes.map((n) => n.id)).toContain(4);
    const apps = await get<{ id: number; nodeId: number }[]>('/api/apps');
    const app4 = apps.find((a) => a.nodeId === 4);
    expect(app4).toBeDefined();
    // its container at once, as a user would: the node waits while the controller trains it
    // (FOGSIM_NODE_SETUP_WAIT_S in docker-compose.yml), then runs
    const t = Date.now();
    const before = await lastRunId();
    await compose(['run', '-d', '--no-deps', '--name', `${project}-node4`, '-e', `FOGSIM_APP_ID=${app4!.id}`, 'node1'], {}, 120_000);
    try {
      await until(`impact vectors of app ${app4!.id}`, async () => (await get<unknown[]>(`/api/impacts?appId=${app4!.id}`)).length > 0, 300_000, 3000);
      timings.trainApp4Ms = Date.now() - t;
      const first = await until(`a good run of app ${app4!.id} from its container`, async () => (await runsAfter(before)).find((r) => r.appId === app4!.id && r.error === null), 300_000, 3000);
      timings.app4FirstRunMs = Date.now() - t;
      expect(first.dataNode).not.toBeNull();
    } catch (e) {
      const logs = await run('docker', ['logs', '--tail', '40', `${project}-node4`], { env, encoding: 'utf8' }).catch((x: Error) => ({ stdout: x.message, stderr: '' }));
      const ctl = await compose(['logs', '--no-log-prefix', '--tail', '60', 'controller']).catch((x: Error) => ({ stdout: x.message, stderr: '' }));
      throw new Error(`${(e as Error).message}\nnode 4's container:\n${logs.stdout}${logs.stderr}\nthe controller:\n${ctl.stdout}${ctl.stderr}`);
    }
  }, 600_000);

  it('docker compose restart keeps the data: the events and runs survive', async () => {
    const events = await get<{ total: number; items: { id: number }[] }>('/api/events?limit=1000');
    const runs = await get<{ total: number }>('/api/runs?limit=1');
    const t = Date.now();
    await compose(['restart', '--timeout', '10'], {}, 300_000);
    // restart does not wait for health: up --wait on the running stack does (and changes nothing)
    await compose(['up', '-d', '--wait', '--no-build'], {}, 600_000);
    await until('the API after the restart', async () => (await get<{ ok: boolean }>('/api/health')).ok, 120_000);
    timings.restartMs = Date.now() - t;
    const after = await get<{ total: number; items: { id: number }[] }>('/api/events?limit=1000');
    expect(after.total).toBeGreaterThanOrEqual(events.total);
    expect(after.items.map((e) => e.id)).toEqual(expect.arrayContaining(events.items.map((e) => e.id)));
    expect((await get<{ total: number }>('/api/runs?limit=1')).total).toBeGreaterThanOrEqual(runs.total);
    // the admin's edits are the store's, kept over the restart
    const nodes = await get<{ id: number }[]>('/api/nodes');
    expect(nodes.map((n) => n.id)).toContain(4);
  }, 900_000);

  it('a bad MySQL password makes up --wait fail fast, naming the controller', async () => {
    const t = Date.now();
    const err = await compose(['up', '-d', '--wait', '--no-build'], { FOGSIM_MYSQL_PASSWORD: 'not-the-password' }, 400_000).then(
      () => undefined,
      (e: { stderr?: string; code?: number }) => e,
    );
    timings.badPasswordFailMs = Date.now() - t;
    expect(err, 'up --wait succeeded with a wrong MySQL password').toBeDefined();
    expect(err!.stderr).toMatch(/controller/);
    // fails on the controller's exit, not after its health check gives up (60 x 5 s)
    expect(timings.badPasswordFailMs).toBeLessThan(150_000);
    const logs = await compose(['logs', '--no-log-prefix', '--tail', '30', 'controller']);
    expect(logs.stdout + logs.stderr).toMatch(/refused user "fogsim"|Access denied/);
  }, 450_000);
});
