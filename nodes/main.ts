/*
 * Process entry of one fog node: FOGSIM_APP_ID and FOGSIM_SCENARIO (FOGSIM_SEED and
 * FOGSIM_STRATEGY override the scenario's), plus the infrastructure environment of
 * util/config.ts (the controller passes its servers' addresses). Runs the app's loop until
 * SIGTERM / SIGINT, then closes its connections and exits 0. When the app's strategy fails it
 * exits 1 with `strategy <name> of app <id>: ...`, told to the controller first (nodes/failure.ts);
 * so does a start that cannot succeed (`app <id> could not start: ...`). It exits 0, and is not
 * restarted, when its app was deleted (nodes/node.ts AppRemovedError).
 */
import { FogsimError, UnavailableError } from '../model/errors.js';
import { loadScenario } from '../model/scenario.js';
import { loadAppStrategy } from '../decision/strategies/load.js';
import { StrategyError } from '../decision/strategies/types.js';
import { nodeFailureEnvelope, nodeFailureLine, type NodeFailureEnvelope } from './failure.js';
import { readFailpoint, readInfraConfig, readNodeConfig } from '../util/config.js';
import { failpointFrom } from './failpoint.js';
import { createLogger } from '../util/logger.js';
import { buildNodeDeps } from './deps.js';
import { AppNode } from './node.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { appId, scenarioFile, seed, strategy: override, sessionStartMs, setupWaitS } = readNodeConfig(env);
  const failpoint = failpointFrom(readFailpoint(env));
  const fromFile = loadScenario(scenarioFile);
  const scenario = seed === undefined ? fromFile : { ...fromFile, seed };
  const strategy = await loadAppStrategy(scenario, appId, override);
  const log = createLogger(`node-${appId}`);
  const stop = new AbortController();
  const onSignal = (sig: string) => {
    if (stop.signal.aborted) return;
    log.info({ sig }, 'stopping after the current step');
    stop.abort();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  // the controller went away: nobody will ever send SIGTERM
  process.on('disconnect', () => onSignal('disconnect'));

  const built = await buildNodeDeps({ scenario, appId, cfg: readInfraConfig(env), signal: stop.signal, log });
  try {
    log.info({ app: appId, scenario: scenario.name, strategy: strategy.name }, 'node started');
    await new AppNode({ ...built.deps, strategy, failpoint, firstArrivalFromMs: sessionStartMs, setupWaitMs: setupWaitS * 1000 }).run();
    return 0;
  } finally {
    await built.close();
    log.info('node stopped');
  }
}

/**
 * The failure a restart would only repeat, if `e` is one: a strategy that fails, or a start that
 * cannot succeed (a bad setting, a missing app, no proxy port). A server that does not answer
 * (UnavailableError) may come back, so that one is restarted.
 */
export function repeatableFailure(e: unknown, env: NodeJS.ProcessEnv): NodeFailureEnvelope | undefined {
  if (e instanceof StrategyError) return nodeFailureEnvelope(e.message, 'strategy');
  if (!(e instanceof FogsimError) || e instanceof UnavailableError) return undefined;
  const who = env.FOGSIM_APP_ID?.trim() ? `app ${env.FOGSIM_APP_ID.trim()}` : 'the node';
  return nodeFailureEnvelope(`${who} could not start: ${e.message}`, 'start');
}

/**
 * Tells whoever started us why we exit, so a node that would fail the same way is not restarted:
 * a line on stderr (the Docker runtime reads the container's log) and, under the process runtime,
 * the same over IPC.
 */
function reportFailure(f: NodeFailureEnvelope): Promise<void> {
  console.error(nodeFailureLine(f));
  return new Promise((resolve) => {
    if (typeof process.send !== 'function' || !process.connected) return resolve();
    const t = setTimeout(resolve, 1000);
    process.send(f, undefined, {}, () => {
      clearTimeout(t);
      resolve();
    });
  });
}

// run only as the process entry, not when imported by tests
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/nodes/main.js') || process.argv[1]?.endsWith('/nodes/main.ts')) {
  main().then(
    (code) => process.exit(code),
    async (e: unknown) => {
      if (e instanceof FogsimError) console.error(`fogsim node: ${e.message}`);
      else console.error(`fogsim node: unexpected error: ${(e as Error).stack ?? String(e)}`);
      const failure = repeatableFailure(e, process.env);
      if (failure) await reportFailure(failure);
      process.exit(1);
    },
  );
}
