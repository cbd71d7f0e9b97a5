/*
 * Process entry of one fog node: FOGSIM_APP_ID and FOGSIM_SCENARIO, plus the infrastructure
 * environment of util/config.ts (the controller passes its servers' addresses). Runs the app's
 * loop until SIGTERM / SIGINT, then closes its connections and exits 0.
 */
import { FogsimError } from '../model/errors.js';
import { loadScenario } from '../model/scenario.js';
import { readInfraConfig, readNodeConfig } from '../util/config.js';
import { createLogger } from '../util/logger.js';
import { buildNodeDeps } from './deps.js';
import { AppNode } from './node.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { appId, scenarioFile, seed } = readNodeConfig(env);
  const fromFile = loadScenario(scenarioFile);
  const scenario = seed === undefined ? fromFile : { ...fromFile, seed };
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
    log.info({ app: appId, scenario: scenario.name }, 'node started');
    await new AppNode(built.deps).run();
    return 0;
  } finally {
    await built.close();
    log.info('node stopped');
  }
}

// run only as the process entry, not when imported by tests
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/nodes/main.js') || process.argv[1]?.endsWith('/nodes/main.ts')) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof FogsimError) console.error(`fogsim node: ${e.message}`);
      else console.error(`fogsim node: unexpected error: ${(e as Error).stack ?? String(e)}`);
      process.exit(1);
    },
  );
}
