import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../helpers/ports.js';
import { localImageVars, STACK_PORT_VARS, until } from '../helpers/stack.js';

/*
 * docker-compose.yml on a Docker Swarm, for real: `docker stack deploy -c docker-compose.yml` on
 * a single-node swarm of the CI engine (scripts/docker/engine.sh), with the local stand-ins of
 * the public images (scripts/docker/build-local-images.sh). The fog nodes are placed by node
 * labels: with fogsim.node3 on no machine, node3 waits unscheduled while the others run; once
 * labelled, it starts. The thesis experiment converges in the swarm's containers. A swarm this
 * test initialised is left again at the end. In CI a missing engine is a failure, never a skip.
 */
const run = promisify(execFile);
const ready = Boolean(process.env.DOCKER_HOST) && spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' }).status === 0;
const TOKEN = 'swarm-test-token';
/** A kernel with IPVS routes a service's virtual IP; without it, docker-stack.dnsrr.yml goes on top. */
const ipvs = existsSync('/proc/sys/net/ipv4/vs') || (spawnSync('modprobe', ['-q', 'ip_vs']).status === 0 && existsSync('/proc/sys/net/ipv4/vs'));
const stackFiles = ipvs ? ['-c', 'docker-compose.yml'] : ['-c', 'docker-compose.yml', '-c', 'docker-stack.dnsrr.yml'];

if (!ready && process.env.CI) {
  describe('docker swarm stack', () => {
    it('has a Docker engine in CI', () => {
      throw new Error('CI is set but DOCKER_HOST is unset or the engine does not answer: .ci/run starts scripts/docker/engine.sh');
    });
  });
}

interface ServiceRow {
  Name: string;
  Replicas: string;
}
interface TaskRow {
  Name: string;
  CurrentState: string;
  DesiredState: string;
  Error: string;
  Node: string;
}

const jsonLines = <T>(out: string): T[] =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

describe.skipIf(!ready)('docker stack deploy of docker-compose.yml on a single-node swarm (skipped: no DOCKER_HOST; scripts/docker/engine.sh start)', () => {
  const stack = `fogsim-st${process.pid}`;
  const timings: Record<string, number> = {};
  let env: NodeJS.ProcessEnv;
  let api: string;
  let initialised = false;

  const docker = (args: string[], timeoutMs = 120_000) => run('docker', args, { env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const services = async () => jsonLines<ServiceRow>((await docker(['stack', 'services', stack, '--format', 'json'])).stdout);
  const tasks = async (service: string) => jsonLines<TaskRow>((await docker(['service', 'ps', `${stack}_${service}`, '--no-trunc', '--format', 'json'])).stdout);
  // this engine's node in the swarm ("self" is not a name docker node update takes)
  const self = async () => (await docker(['info', '--format', '{{.Swarm.NodeID}}'])).stdout.trim();
  const label = async (add: boolean, key: string) => docker(['node', 'update', add ? '--label-add' : '--label-rm', add ? `${key}=true` : key, await self()]);

  async function get<T>(path: string): Promise<T> {
    const r = await fetch(`${api}${path}`, { signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  }

  beforeAll(async () => {
    let t = Date.now();
    const images = localImageVars();
    timings.imagesMs = Date.now() - t;
    env = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: process.env.DOCKER_HOST, ...images };
    // the swarm publishes on every interface of the host (it ignores 127.0.0.1 in the file):
    // ports nothing else here uses, and only for the few minutes of this test
    for (const k of STACK_PORT_VARS) env[k] = String(await closedPort());
    env.FOGSIM_ADMIN_TOKEN = TOKEN;
    env.FOGSIM_LOG_LEVEL = 'warn';
    api = `http://127.0.0.1:${env.FOGSIM_UI_PORT}`;

    const state = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout.trim();
    if (state !== 'active') {
      await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      initialised = true;
    }
    // fog nodes 1 and 2 have a machine; node 3 has none yet
    await label(true, 'fogsim.node1');
    await label(true, 'fogsim.node2');
    await label(false, 'fogsim.node3').catch(() => undefined);
    t = Date.now();
    // never: these images exist on this machine only, there is no registry to ask for digests
    const deployed = await docker(['stack', 'deploy', '--resolve-image', 'never', '--detach=true', ...stackFiles, stack], 300_000);
    process.stdout.write(`docker stack deploy ${stackFiles.join(' ')} (${ipvs ? 'IPVS: virtual IPs' : 'no IPVS in this kernel: DNS round robin'})\n${deployed.stdout}`);
    timings.deployMs = Date.now() - t;
  }, 1_200_000);

  afterAll(async () => {
    if (!env) return;
    const t = Date.now();
    await docker(['stack', 'rm', stack]).catch((e: Error) => process.stderr.write(`stack rm: ${e.message}\n`));
    // the stack's containers go first, then its network; its volumes are freed after both
    await until('the stack removed', async () => (await docker(['ps', '-a', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`])).stdout.trim() === '', 180_000).catch((e: Error) => process.stderr.write(`${e.message}\n`));
    const vols = (await docker(['volume', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`])).stdout.trim().split('\n').filter(Boolean);
    if (vols.length) await docker(['volume', 'rm', '-f', ...vols]).catch((e: Error) => process.stderr.write(`volume rm: ${e.message}\n`));
    for (const k of ['fogsim.node1', 'fogsim.node2', 'fogsim.node3']) await label(false, k).catch(() => undefined);
    if (initialised) await docker(['swarm', 'leave', '--force']).catch((e: Error) => process.stderr.write(`swarm leave: ${e.message}\n`));
    timings.removeMs = Date.now() - t;
    process.stdout.write(`swarm stack timings: ${JSON.stringify(timings)}\n`);
  }, 300_000);

  it('deploys every service of the file; the servers, the controller and the labelled nodes run', async () => {
    const t = Date.now();
    const want = ['adminer', 'controller', 'kafka', 'minio', 'mysql', 'node1', 'node2', 'toxiproxy'];
    const rows = await until(
      'every service but node3 at 1/1',
      async () => {
        const s = await services();
        return want.every((w) => s.find((r) => r.Name === `${stack}_${w}`)?.Replicas === '1/1') && s;
      },
      600_000,
    ).catch(async (e: Error) => {
      const ps = await docker(['stack', 'ps', stack, '--no-trunc']).catch(() => ({ stdout: '' }));
      throw new Error(`${e.message}\n${ps.stdout}`);
    });
    timings.servicesUpMs = Date.now() - t;
    expect(rows.map((r) => r.Name.slice(stack.length + 1)).sort()).toEqual([...want, 'node3'].sort());
    await until('the API', async () => (await get<{ ok: boolean }>('/api/health')).ok, 180_000);
  }, 700_000);

  it('places fog nodes by label: node3 waits for a machine labelled fogsim.node3, then runs there', async () => {
    const pending = await tasks('node3');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending[0]!.CurrentState).toMatch(/^Pending/);
    expect(pending[0]!.Error).toMatch(/no suitable node|constraint/);
    expect((await services()).find((r) => r.Name === `${stack}_node3`)?.Replicas).toBe('0/1');
    await label(true, 'fogsim.node3');
    const t = Date.now();
    await until('node3 at 1/1 after its label', async () => (await services()).find((r) => r.Name === `${stack}_node3`)?.Replicas === '1/1', 300_000);
    timings.node3AfterLabelMs = Date.now() - t;
    const nodeName = (await docker(['node', 'inspect', await self(), '--format', '{{.Description.Hostname}}'])).stdout.trim();
    const running = (await tasks('node3')).find((x) => x.DesiredState === 'Running');
    expect(running?.Node).toBe(nodeName);
  }, 400_000);

  it('the thesis experiment converges in the swarm', async () => {
    const t = Date.now();
    const conv = await until(
      'convergence',
      async () => {
        const c = await get<{ converged: boolean; apps: { appId: number }[] }>('/api/convergence');
        return c.converged && c;
      },
      600_000,
      3000,
    );
    timings.convergeMs = Date.now() - t;
    expect(conv.apps.map((a) => a.appId).sort()).toEqual([1, 2, 3]);
    // every app ran through its own container: each has runs without an error
    const runs = await get<{ items: { appId: number; error: string | null }[] }>('/api/runs?limit=200');
    for (const id of [1, 2, 3]) expect(runs.items.some((r) => r.appId === id && r.error === null), `a good run of app ${id}`).toBe(true);
  }, 700_000);
});
