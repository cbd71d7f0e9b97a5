import { describe, expect, it } from 'vitest';
import { UserError } from '../../model/errors.js';
import {
  DEFAULT_API_URL,
  logLevel,
  readAdminToken,
  readApiUrl,
  readDebug,
  readDockerHost,
  readInfraConfig,
  readLogLevel,
  readNodeConfig,
  readProxyServePort,
  readTelemetryBuffer,
} from '../../util/config.js';

/* Every setting from the environment is read in util/config.ts; bad values name the variable. */
const fails = (f: () => unknown, re: RegExp) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(re);
};

describe('settings from the environment', () => {
  it('readNodeConfig: app id, scenario and the optional seed of a node process', () => {
    expect(readNodeConfig({ FOGSIM_APP_ID: '2', FOGSIM_SCENARIO: 's.yaml' })).toEqual({ appId: 2, scenarioFile: 's.yaml', setupWaitS: 0 });
    expect(readNodeConfig({ FOGSIM_APP_ID: '2', FOGSIM_SCENARIO: 's.yaml', FOGSIM_SEED: '' })).toEqual({ appId: 2, scenarioFile: 's.yaml', setupWaitS: 0 });
    expect(readNodeConfig({ FOGSIM_APP_ID: '2', FOGSIM_SCENARIO: 's.yaml', FOGSIM_SEED: '0' })).toEqual({ appId: 2, scenarioFile: 's.yaml', setupWaitS: 0, seed: 0 });
    expect(readNodeConfig({ FOGSIM_APP_ID: '1', FOGSIM_SCENARIO: 's.yaml', FOGSIM_SEED: '-7' }).seed).toBe(-7);
    fails(() => readNodeConfig({ FOGSIM_SCENARIO: 's.yaml' }), /^FOGSIM_APP_ID must be an app id \(integer >= 1\), got ""/);
    fails(() => readNodeConfig({ FOGSIM_APP_ID: '0', FOGSIM_SCENARIO: 's.yaml' }), /^FOGSIM_APP_ID must be an app id/);
    fails(() => readNodeConfig({ FOGSIM_APP_ID: '1' }), /^FOGSIM_SCENARIO is not set/);
    fails(() => readNodeConfig({ FOGSIM_APP_ID: '1', FOGSIM_SCENARIO: 's.yaml', FOGSIM_SEED: '1.5' }), /^FOGSIM_SEED must be a whole number/);
    expect(readNodeConfig({ FOGSIM_APP_ID: '1', FOGSIM_SCENARIO: 's.yaml', FOGSIM_NODE_SETUP_WAIT_S: '600' }).setupWaitS).toBe(600);
    for (const bad of ['-1', 'soon', '1e3', '90000']) {
      fails(() => readNodeConfig({ FOGSIM_APP_ID: '1', FOGSIM_SCENARIO: 's.yaml', FOGSIM_NODE_SETUP_WAIT_S: bad }), /^FOGSIM_NODE_SETUP_WAIT_S must be seconds from 0 to 86400/);
    }
  });

  it('FOGSIM_LOG_LEVEL: one of pino levels; unset: warn, silent under the test runner', () => {
    expect(readLogLevel({})).toBeUndefined();
    expect(readLogLevel({ FOGSIM_LOG_LEVEL: '' })).toBeUndefined();
    expect(readLogLevel({ FOGSIM_LOG_LEVEL: 'info' })).toBe('info');
    expect(logLevel({})).toBe('warn');
    expect(logLevel({ VITEST: 'true' })).toBe('silent');
    expect(logLevel({ VITEST: 'true', FOGSIM_LOG_LEVEL: 'debug' })).toBe('debug');
    fails(() => readLogLevel({ FOGSIM_LOG_LEVEL: 'loud' }), /^FOGSIM_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"/);
  });

  it('FOGSIM_DEBUG, FOGSIM_ADMIN_TOKEN, DOCKER_HOST: empty is unset', () => {
    expect(readDebug({})).toBe(false);
    expect(readDebug({ FOGSIM_DEBUG: '1' })).toBe(true);
    expect(readAdminToken({ FOGSIM_ADMIN_TOKEN: '' })).toBeUndefined();
    expect(readAdminToken({ FOGSIM_ADMIN_TOKEN: 's3cret' })).toBe('s3cret');
    expect(readDockerHost({})).toBeUndefined();
    expect(readDockerHost({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toBe('tcp://127.0.0.1:2375');
  });

  it('FOGSIM_API_URL: an http(s) URL, default the local controller', () => {
    expect(readApiUrl({})).toBe(DEFAULT_API_URL);
    expect(readApiUrl({ FOGSIM_API_URL: 'http://10.0.0.2:9090' })).toBe('http://10.0.0.2:9090');
    fails(() => readApiUrl({ FOGSIM_API_URL: 'localhost:8080' }), /^FOGSIM_API_URL: expected the controller's URL/);
    fails(() => readApiUrl({ FOGSIM_API_URL: 'not a url' }), /^FOGSIM_API_URL/);
  });

  it('FOGSIM_PROXY_PORT and FOGSIM_TELEMETRY_BUFFER are validated numbers', () => {
    expect(readProxyServePort({})).toBe(0);
    expect(readProxyServePort({ FOGSIM_PROXY_PORT: '8474' })).toBe(8474);
    fails(() => readProxyServePort({ FOGSIM_PROXY_PORT: '70000' }), /^FOGSIM_PROXY_PORT: expected a port/);
    expect(readTelemetryBuffer({})).toBeUndefined();
    expect(readTelemetryBuffer({ FOGSIM_TELEMETRY_BUFFER: '3' })).toBe(3);
    fails(() => readTelemetryBuffer({ FOGSIM_TELEMETRY_BUFFER: '-5' }), /^FOGSIM_TELEMETRY_BUFFER: must be a whole number >= 1, got "-5"/);
  });

  it('readInfraConfig: embedded defaults under FOGSIM_DATA_DIR', () => {
    const c = readInfraConfig({ FOGSIM_DATA_DIR: '/tmp/x' });
    expect(c).toMatchObject({ dataDir: '/tmp/x', sqlitePath: '/tmp/x/fogsim.db', proxyBasePort: 0 });
    expect(c.mysqlUrl).toBeUndefined();
    fails(() => readInfraConfig({ FOGSIM_PROXY_BASE_PORT: 'x' }), /^FOGSIM_PROXY_BASE_PORT/);
  });
});
