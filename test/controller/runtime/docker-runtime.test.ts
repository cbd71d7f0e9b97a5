import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerRuntime, hostPathBinds } from '../../../controller/runtime/docker-runtime.js';
import { UnavailableError, UserError } from '../../../model/errors.js';

/*
 * The parts of the Docker runtime that need no engine: a missing engine is a user error that says
 * what to do, and which host folders a node container gets. The runtime against a real engine is
 * test/real/docker-runtime.test.ts.
 */
describe('Docker runtime without an engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-docker-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an engine that is not there is a retriable UnavailableError naming DOCKER_HOST and how to start one', async () => {
    // a socket path nobody listens on (ENOENT) and a TCP port nobody listens on (ECONNREFUSED)
    for (const docker of [new Docker({ socketPath: join(dir, 'no-engine.sock') }), new Docker({ host: '127.0.0.1', port: 1, protocol: 'http' })]) {
      const rt = new DockerRuntime({ docker, sessionId: 'unit' });
      const err = await rt.start({ appId: 1, env: { FOGSIM_APP_ID: '1' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err).toMatchObject({ retriable: true });
      const msg = (err as Error).message;
      expect(msg).toContain('DOCKER_HOST');
      expect(msg).toContain('scripts/docker/engine.sh start');
      expect(rt.list()).toEqual([]);
      // nothing to stop, and stopping must not throw with the engine away
      await rt.stopAll();
    }
  });

  it('refuses a session id that cannot be part of a container name', () => {
    expect(() => new DockerRuntime({ sessionId: 'a b/c' })).toThrow(UserError);
  });

  it('binds the folders of absolute FOGSIM_* paths at the same path: data writable, scenario read-only', () => {
    const data = join(dir, 'data');
    const scen = join(dir, 'scenarios');
    mkdirSync(data, { recursive: true });
    mkdirSync(scen, { recursive: true });
    writeFileSync(join(scen, 's.yaml'), 'name: x\n');
    writeFileSync(join(data, 'fogsim.db'), '');
    const binds = hostPathBinds({
      FOGSIM_DATA_DIR: data,
      FOGSIM_SQLITE_PATH: join(data, 'fogsim.db'), // inside the data folder: no bind of its own
      FOGSIM_SCENARIO: join(scen, 's.yaml'),
      FOGSIM_S3_ENDPOINT: 'http://127.0.0.1:9000', // not a path
      FOGSIM_PROXY_HOST: '127.0.0.1',
      FOGSIM_MISSING: join(dir, 'nope'), // not on the host: nothing to bind
      HOME: dir, // only FOGSIM_* variables are the node's business
    });
    expect(binds.sort()).toEqual([`${data}:${data}`, `${scen}:${scen}:ro`].sort());
  });

  it('a scenario inside the writable data folder needs no bind of its own; a data folder inside a read-only one does', () => {
    const data = join(dir, 'd2');
    mkdirSync(join(data, 'inner'), { recursive: true });
    writeFileSync(join(data, 's.yaml'), 'name: x\n');
    expect(hostPathBinds({ FOGSIM_DATA_DIR: data, FOGSIM_SCENARIO: join(data, 's.yaml') })).toEqual([`${data}:${data}`]);
    expect(hostPathBinds({ FOGSIM_SCENARIO: join(data, 's.yaml'), FOGSIM_DATA_DIR: join(data, 'inner') })).toEqual([`${data}:${data}:ro`, `${join(data, 'inner')}:${join(data, 'inner')}`]);
  });
});
