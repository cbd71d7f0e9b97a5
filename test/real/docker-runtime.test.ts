import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until as untilEvery } from '../helpers/stack.js';
import { DockerRuntime, LABEL_APP, LABEL_MANAGED, LABEL_SESSION } from '../../controller/runtime/docker-runtime.js';
import type { NodeStatus } from '../../controller/runtime/runtime.js';
import { startSession, type Session } from '../../controller/session.js';
import { UserError } from '../../model/errors.js';
import { readInfraConfig } from '../../util/config.js';

/*
 * The Docker runtime against a real engine (scripts/docker/engine.sh start; DOCKER_HOST from its
 * `env`). No registry is reachable, so the node image is built from a root filesystem made on this
 * machine (scripts/docker/build-local-node-image.sh, after `npm run build`). Then `fogsim up
 * --runtime docker` as the controller does it: a session on the embedded servers of this test
 * (SQLite file in a temp folder, embedded S3, embedded proxy, all on 127.0.0.1), the node
 * containers on the host network with that folder bind-mounted at the same path.
 */
const ready = Boolean(process.env.DOCKER_HOST);

if (!ready && process.env.CI) {
  describe('Docker runtime on a real engine', () => {
    it('has DOCKER_HOST in CI', () => {
      throw new Error('CI is set but DOCKER_HOST is not: run scripts/docker/engine.sh start and eval "$(scripts/docker/engine.sh env)"');
    });
  });
}

const until = <T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number) => untilEvery(what, f, timeoutMs, 100);

describe.skipIf(!ready)('Docker runtime on a real engine (skipped: DOCKER_HOST unset; run scripts/docker/engine.sh start and eval "$(scripts/docker/engine.sh env)")', () => {
  const docker = new Docker();
  let dir: string;
  let session: Session | undefined;
  let runtime: DockerRuntime;
  const lines: string[] = [];
  const crashes: [NodeStatus, boolean][] = [];
  const restarts: NodeStatus[] = [];
  const timings: Record<string, number> = {};

  const ours = () => docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`, `${LABEL_SESSION}=${runtime.sessionId}`] } });

  beforeAll(async () => {
    let t = Date.now();
    const out = execFileSync('bash', ['scripts/docker/build-local-node-image.sh'], { encoding: 'utf8', timeout: 170_000 });
    timings.imageBuildMs = Date.now() - t;
    process.stdout.write(out);
    dir = mkdtempSync(join(tmpdir(), 'fogsim-docker-'));
    const cfg = { ...readInfraConfig({}), dataDir: dir, sqlitePath: join(dir, 'fogsim.db') };
    t = Date.now();
    session = await startSession({ scenarioFile: 'test/fixtures/thesis-fast.yaml', cfg, runtime: 'docker', log: (l) => lines.push(l) });
    timings.sessionMs = Date.now() - t;
    runtime = session.runtime as DockerRuntime;
    runtime.on('crash', (s: NodeStatus, gaveUp: boolean) => crashes.push([s, gaveUp]));
    runtime.on('restart', (s: NodeStatus) => restarts.push(s));
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(`docker runtime timings: ${JSON.stringify(timings)}`);
  });

  it('starts one labelled container per app on the host network, non-root image, Docker restart policy off', async () => {
    expect(runtime.kind).toBe('docker');
    expect(lines).toContain('3 node(s) started as containers');
    const list = await ours();
    expect(list.map((c) => c.Labels[LABEL_APP]).sort()).toEqual(['1', '2', '3']);
    for (const c of list) {
      expect(c.State).toBe('running');
      expect(c.Image).toBe('fogsim-node:local');
      const info = await docker.getContainer(c.Id).inspect();
      expect(info.HostConfig.NetworkMode).toBe('host');
      expect(info.HostConfig.RestartPolicy?.Name).toBe('no');
      expect(info.Config.Env).toContain(`FOGSIM_APP_ID=${c.Labels[LABEL_APP]}`);
      expect(info.Config.Env).toContain(`FOGSIM_SQLITE_PATH=${join(dir, 'fogsim.db')}`);
      // the data folder is bound at the same path, so the node opens the controller's SQLite file
      expect(info.HostConfig.Binds).toContain(`${dir}:${dir}`);
      // create -> running, as the engine timed it
      timings[`containerStartMs.app${c.Labels[LABEL_APP]}`] = Date.parse(info.State.StartedAt) - Date.parse(info.Created);
    }
    expect(runtime.list().map((s) => s.state)).toEqual(['running', 'running', 'running']);
    const image = await docker.getImage('fogsim-node:local').inspect();
    expect(image.Config.User).toBe('1000:1000');
  });

  it('the runs of every app arrive in the store', async () => {
    const t = Date.now();
    const { store } = session!.infra;
    await until('a run of every app', async () => (await Promise.all([1, 2, 3].map((a) => store.countRuns(a)))).every((n) => n > 0), 60_000);
    timings.firstRunsMs = Date.now() - t;
    const runs = await store.listRuns({ limit: 1000 });
    expect(runs.filter((r) => r.error === null).length).toBeGreaterThan(0);
  });

  it('a killed container is reported as a crash and restarted, and its runs arrive again', async () => {
    const { store } = session!.infra;
    const victim = runtime.list().find((s) => s.appId === 2)!;
    const lastRun = (await store.listRuns({ appId: 2, limit: 100_000 })).at(-1)!;
    const t = Date.now();
    await docker.getContainer(victim.handle!).kill(); // as `docker kill`: SIGKILL
    const [crash, gaveUp] = await until('the crash report', () => crashes.find(([s]) => s.appId === 2), 15_000);
    timings.crashReportedMs = Date.now() - t;
    expect(gaveUp).toBe(false);
    expect(crash).toMatchObject({ appId: 2, state: 'restarting', lastExit: { code: 137, signal: 'SIGKILL' } });
    expect(lines.some((l) => l.startsWith('node of app 2 exited (SIGKILL); restarting'))).toBe(true);
    const back = await until('the restart', () => restarts.find((s) => s.appId === 2), 15_000);
    timings.restartedMs = Date.now() - t;
    expect(back).toMatchObject({ appId: 2, state: 'running', restarts: 1, handle: victim.handle });
    await until('a run of app 2 after the restart', async () => (await store.listRuns({ appId: 2, afterId: lastRun.id, limit: 10 })).find((r) => r.startedAtMs > crash.lastExit!.atMs), 60_000);
    timings.runAfterRestartMs = Date.now() - t;
    // the other nodes were not touched
    expect(crashes.map(([s]) => s.appId)).toEqual([2]);
    const info = await docker.getContainer(victim.handle!).inspect();
    expect(info.State.Running).toBe(true);
  });

  it('refuses a missing image with the command that builds it', async () => {
    const rt = new DockerRuntime({ image: 'fogsim-node:does-not-exist', sessionId: `missing-${process.pid}` });
    const err = await rt.start({ appId: 1, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain('fogsim-node:does-not-exist');
    expect((err as Error).message).toContain('scripts/docker/build-local-node-image.sh');
    await rt.stopAll();
  });

  it('closing the session stops and removes every container of it', async () => {
    const t = Date.now();
    await session!.close();
    session = undefined;
    timings.stopAllMs = Date.now() - t;
    expect(await ours()).toEqual([]);
    const all = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`] } });
    expect(all.filter((c) => c.Labels[LABEL_SESSION] === runtime.sessionId)).toEqual([]);
    expect(runtime.list()).toEqual([]);
  });

  // after the session is closed, so its nodes do not slow these boots down
  it('gives up on a node that keeps crashing, reports one that cannot start without restarting it, on a named network, and removes them', async () => {
    const net = `fogsim-test-${process.pid}`;
    await docker.createNetwork({ Name: net, Labels: { [LABEL_MANAGED]: 'true' } });
    const rt = new DockerRuntime({ networkMode: net, sessionId: `giveup-${process.pid}`, restartDelayMs: 100, maxCrashes: 2, logs: 'ignore' });
    try {
      const events: [NodeStatus, boolean][] = [];
      rt.on('crash', (s: NodeStatus, g: boolean) => events.push([s, g]));
      // Node itself fails before any of fogsim runs (a preload that does not exist), on every
      // start, saying nothing the runtime could read: a crash, restarted until it gives up
      await rt.start({ appId: 9, env: { NODE_OPTIONS: '--require /nonexistent/preload.js' } });
      const info = await docker.getContainer(rt.containerName(9)).inspect();
      expect(info.HostConfig.NetworkMode).toBe(net);
      expect(info.Config.Labels).toMatchObject({ [LABEL_MANAGED]: 'true', [LABEL_APP]: '9', [LABEL_SESSION]: rt.sessionId });
      // two boots of the node entry, which loads every module before it checks its env: slow on a busy machine
      await until('the give-up', () => events.some(([, g]) => g), 90_000);
      expect(events.map(([, g]) => g)).toEqual([false, true]);
      expect(events[0][0].lastExit).toMatchObject({ code: 1, signal: null });
      expect(rt.list()).toEqual([expect.objectContaining({ appId: 9, state: 'failed', restarts: 1 })]);
      expect(rt.list()[0].error).toBeUndefined();

      // a node that cannot start says why on its last stderr line (nodes/failure.ts): kept in its
      // status, and the node is not restarted, as under the process runtime
      events.length = 0;
      await rt.start({ appId: 8, env: {} }); // no FOGSIM_APP_ID: nodes/main.ts refuses at once
      await until('the failure of node 8', () => events.some(([s]) => s.appId === 8), 90_000);
      await new Promise((r) => setTimeout(r, 1000)); // a restart, were there one, is due after 100 ms
      expect(events.map(([s, g]) => [s.appId, g])).toEqual([[8, true]]);
      const failed = rt.list().find((s) => s.appId === 8)!;
      expect(failed).toMatchObject({ state: 'failed', restarts: 0, errorKind: 'start' });
      expect(failed.error).toMatch(/^the node could not start: FOGSIM_APP_ID must be an app id/);
    } finally {
      await rt.stopAll();
      await docker.getNetwork(net).remove();
    }
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL_SESSION}=${rt.sessionId}`] } })).toEqual([]);
  }, 120_000);
});
