import type { Command } from 'commander';
import { UserError } from '../../model/errors.js';
import { isNodeId, MAX_LATENCY_MS, MAX_NODE_ID, NODE_ID_RANGE } from '../../model/limits.js';
import { readInfraConfig } from '../../util/config.js';
import { addNodeToStore, addNodeViaApi, CLI_FIELDS, controllerAnswers, parseLatencyFlag, type AddNodeInput, type AddedNode } from '../../controller/add-node.js';

// FOGSIM_API_URL points the probe elsewhere (tests, a controller on another port).
const DEFAULT_API = process.env.FOGSIM_API_URL || 'http://127.0.0.1:8080';

interface Flags {
  id?: string;
  availability?: string;
  latency?: string;
  storage: string;
  name?: string;
  goal?: string;
  api?: string;
}

function parseFlags(f: Flags): AddNodeInput {
  if (f.id === undefined) throw new UserError('--id: required; the new node id, e.g. --id 4');
  const id = Number(f.id);
  if (!/^\d+$/.test(f.id) || !isNodeId(id)) throw new UserError(`--id: expected ${NODE_ID_RANGE}, got ${JSON.stringify(f.id)}`);
  if (f.availability === undefined) throw new UserError('--availability: required; a percentage 0-100, e.g. --availability 90');
  const availability = Number(f.availability);
  if (f.availability.trim() === '' || !Number.isFinite(availability)) throw new UserError(`--availability: expected a number 0-100, got ${JSON.stringify(f.availability)}`);
  if (f.latency === undefined) throw new UserError('--latency: required; the latency in ms to every existing node, e.g. --latency 1=2000,2=1000');
  const latency = parseLatencyFlag(f.latency);
  const storageFlag = f.storage.toLowerCase();
  if (!['yes', 'no', 'true', 'false'].includes(storageFlag)) throw new UserError(`--storage: expected yes or no, got ${JSON.stringify(f.storage)}`);
  let goal: unknown;
  if (f.goal !== undefined) {
    try {
      goal = JSON.parse(f.goal);
    } catch {
      throw new UserError(`--goal: not valid JSON; e.g. --goal '{"all":[{"metric":"responseTime","max":800}]}'`);
    }
  }
  return { id, availability, latency, storage: storageFlag === 'yes' || storageFlag === 'true', name: f.name, goal };
}

function print(added: AddedNode, via: string): void {
  const n = added.node;
  console.log(`added node ${n.id} (${n.name}): availability ${n.availability}%, storage ${n.storage ? 'yes' : 'no'} — via ${via}`);
  for (const l of added.links) console.log(`  link ${l.from} <-> ${l.to}: ${l.latencyMs} ms`);
  if (added.app) console.log(`  app ${added.app.id} on node ${added.app.nodeId}: goal ${JSON.stringify(added.app.goal)}`);
}

export function registerAddNode(program: Command): void {
  program
    .command('add-node')
    .description('add a fog node with its links, through a running controller or straight on the store')
    .option('--id <n>', `id of the new node (unused, 1-${MAX_NODE_ID})`)
    .option('--availability <percent>', 'availability of the new node, 0-100')
    .option('--latency <list>', `latency in ms (0-${MAX_LATENCY_MS}) to every existing node: 1=2000,2=1000,...`)
    .option('--storage <yes|no>', 'whether the node may host data', 'yes')
    .option('--name <name>', 'display name (default node<id>)')
    .option('--goal <json>', 'also place an app on the node with this QoS goal (JSON)')
    .option('--api <url>', `controller to send it to (default: ${DEFAULT_API} when one answers there, else the store)`)
    .action(async (flags: Flags) => {
      const input = parseFlags(flags);
      const token = process.env.FOGSIM_ADMIN_TOKEN || undefined;
      if (flags.api) {
        print(await addNodeViaApi(flags.api, input, token), flags.api);
        return;
      }
      if (await controllerAnswers(DEFAULT_API)) {
        print(await addNodeViaApi(DEFAULT_API, input, token), DEFAULT_API);
        return;
      }
      // No controller runs: write on the store the nodes read each run.
      const { openStore } = await import('../../db/open.js');
      const store = await openStore(readInfraConfig());
      try {
        await store.migrate();
        print(await addNodeToStore(store, input, CLI_FIELDS), `the ${store.kind} store`);
      } finally {
        await store.close();
      }
    });
}
