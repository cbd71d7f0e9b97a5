import type { Command } from 'commander';
import type { UpOptions } from '../actions/up.js';
import { choiceOption, DEFAULT_SCENARIO, embeddedPortOptions, intOption } from './options.js';

export function registerUp(program: Command): void {
  const cmd = program
    .command('up')
    .description('start everything (store, object store, proxy, nodes, UI) until Ctrl-C')
    .option('--scenario <file>', 'scenario YAML file', DEFAULT_SCENARIO)
    .option('--port <port>', 'port of the admin UI, dashboard and API', intOption(0, 65535), 8080)
    .option('--host <address>', 'address to listen on (beyond 127.0.0.1 needs FOGSIM_ADMIN_TOKEN)', '127.0.0.1')
    .option('--runtime <kind>', 'how nodes run: process, docker, or none (started elsewhere)', choiceOption(['process', 'docker', 'none'] as const), 'process')
    .option('--no-train', 'refuse to start instead of training when impact vectors are missing')
    .option('--seed <n>', "the scenario's seed instead of the file's (one seed repeats a run)", intOption(-2_147_483_648, 2_147_483_647))
    .option('--strategy <name|path>', "every app's strategy instead of the scenario's: a built-in (original, no-feedback, no-counters, random, greedy-latency, static) or a .js/.mjs module (docs/strategies.md)")
    .option('--fresh-vectors', 'start from the trained impact vectors alone: forget those learned online in earlier runs (also in the store)')
    .option('--wait-for-servers <seconds>', 'keep trying this long while a server (SQL store, object store, proxy, Kafka) does not answer yet, instead of exiting', intOption(0, 3600), 0)
    .option('--reset', "start over from the scenario file: its nodes, links and apps replace the admin's edits, and the embedded store and object store forget placements, events and runs (without it the store is the truth after the first start)", false);
  embeddedPortOptions(cmd).action(async (opts: UpOptions) => (await import('../actions/up.js')).up(opts));
}
