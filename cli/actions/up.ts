import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { UnavailableError } from '../../model/errors.js';
import { readAdminToken, readInfraConfig } from '../../util/config.js';
import { createLogger } from '../../util/logger.js';
import { startSession, type RuntimeKind } from '../../controller/session.js';
import { checkExposure, startControllerServer } from '../../controller/server.js';
import { acquireLock } from '../../controller/lock.js';
import { assertPortFree } from '../../controller/port-check.js';
import { sourceNodeEntry } from '../../controller/runtime/process-runtime.js';

export interface UpOptions {
  scenario: string;
  port: number;
  host: string;
  runtime: RuntimeKind;
  train: boolean;
  reset: boolean;
  freshVectors?: boolean;
  seed?: number;
  strategy?: string;
  proxyPort?: number;
  s3Port?: number;
  waitForServers?: number;
}

export async function up(opts: UpOptions): Promise<void> {
  const cfg = readInfraConfig();
  // the controller's exposure and port, before anything starts (nodes, servers)
  checkExposure(opts.host, readAdminToken());
  await assertPortFree(opts.host, opts.port);
  const release = acquireLock(cfg.dataDir, 'up');
  const logger = createLogger('controller');
  const log = (line: string) => console.log(`fogsim: ${line}`);
  if (opts.reset) {
    if (!cfg.mysqlUrl) rmSync(cfg.sqlitePath, { force: true }), rmSync(`${cfg.sqlitePath}-wal`, { force: true }), rmSync(`${cfg.sqlitePath}-shm`, { force: true });
    if (!cfg.s3Endpoint) rmSync(join(cfg.dataDir, 's3'), { recursive: true, force: true });
    log('reset: embedded state removed');
  }
  const abort = new AbortController();
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    abort.abort();
    log('stopping ...');
    // nothing may keep us past 10 s
    setTimeout(() => {
      console.error('fogsim: stop took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let session;
  // --wait-for-servers: a server that does not answer yet (a stack starting or restarting all at
  // once: `docker compose restart` keeps no start order) is waited for, the session started again
  const waitUntil = Date.now() + (opts.waitForServers ?? 0) * 1000;
  try {
    for (;;) {
      try {
        session = await startSession({ scenarioFile: opts.scenario, cfg, seedMode: opts.reset ? 'file' : 'store', runtime: opts.runtime, train: opts.train, freshVectors: opts.freshVectors, seed: opts.seed, strategy: opts.strategy, infraOptions: { proxyPort: opts.proxyPort, s3Port: opts.s3Port }, log, logger, signal: abort.signal, ...sourceNodeEntry() });
        break;
      } catch (e) {
        if (!(e instanceof UnavailableError) || abort.signal.aborted || Date.now() >= waitUntil) throw e;
        log(`waiting for the servers (--wait-for-servers, ${Math.ceil((waitUntil - Date.now()) / 1000)} s left): ${e.message}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  } catch (e) {
    release();
    throw e;
  }
  // what the nodes learned online goes to <vectorsDir>/learned once they have stopped
  const saveLearned = async (s: typeof session) => {
    await s.runtime?.stopAll();
    await s.saveLearnedVectors().catch((e) => log(`impact vectors learned online could not be kept: ${(e as Error).message}`));
  };
  if (abort.signal.aborted) {
    await saveLearned(session);
    await session.close();
    release();
    return;
  }
  const s = session;
  const server = await startControllerServer({
    store: s.infra.store,
    scenario: s.scenario,
    telemetry: s.telemetry,
    host: opts.host,
    port: opts.port,
    logger,
    // the session's operations: a node added through the API starts its app, a node taken down stops its apps
    operations: s.operations,
    // --strategy, else the scenario's: the dashboard shows it
    strategy: s.strategy,
    session: s.infra.cfg.session,
    nodeStatus: s.nodeStatus,
    // the scenario's stream apps, started by the session: their windows on the dashboard
    streams: s.streams,
  }).catch(async (e) => {
    await s.close();
    release();
    throw e;
  });
  log(`admin UI:   ${server.url}/`);
  log(`dashboard:  ${server.url}/dashboard`);
  log(`API:        ${server.url}/api`);
  log(`proxy API:  ${s.infra.toxiproxyUrl} (proxies of session ${s.infra.cfg.session})`);
  log('press Ctrl-C to stop');
  await new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
  await server.close();
  await saveLearned(s);
  await s.close();
  release();
  log('stopped');
}
