import { UserError } from '../../model/errors.js';
import { isNodeId, NODE_ID_RANGE } from '../../model/limits.js';
import { readAdminToken, readApiUrl, readInfraConfig } from '../../util/config.js';
import {
  addNodeToStore,
  addNodeViaApi,
  CLI_FIELDS,
  controllerAnswers,
  describeDrawn,
  drawMissing,
  listNodesViaApi,
  parseLatencyFlag,
  type AddNodeInput,
  type AddedNode,
} from '../../controller/add-node.js';

export interface AddNodeFlags {
  id?: string;
  availability?: string;
  latency?: string;
  storage: string;
  name?: string;
  goal?: string;
  api?: string;
  seed?: string;
}

/** What the flags give; a missing availability or latency is drawn once the existing nodes are known. */
type PartialInput = Omit<AddNodeInput, 'availability' | 'latency'> & { availability?: number; latency?: Record<string, number>; seed?: number };

function parseFlags(f: AddNodeFlags): PartialInput {
  if (f.id === undefined) throw new UserError('--id: required; the new node id, e.g. --id 4');
  const id = Number(f.id);
  if (!/^\d+$/.test(f.id) || !isNodeId(id)) throw new UserError(`--id: expected ${NODE_ID_RANGE}, got ${JSON.stringify(f.id)}`);
  const availability = f.availability === undefined ? undefined : Number(f.availability);
  if (f.availability !== undefined && (f.availability.trim() === '' || !Number.isFinite(availability))) throw new UserError(`--availability: expected a number 0-100, got ${JSON.stringify(f.availability)}`);
  const latency = f.latency === undefined ? undefined : parseLatencyFlag(f.latency);
  let seed: number | undefined;
  if (f.seed !== undefined) {
    seed = Number(f.seed);
    if (!/^\d+$/.test(f.seed.trim()) || !Number.isSafeInteger(seed) || seed > 0xffffffff) throw new UserError(`--seed: expected a whole number from 0 to ${0xffffffff}, got ${JSON.stringify(f.seed)}`);
  }
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
  return { id, availability, latency, storage: storageFlag === 'yes' || storageFlag === 'true', name: f.name, goal, seed };
}

/** The input to add: the flags, with what they leave out drawn against the existing nodes. */
async function complete(partial: PartialInput, existingIds: () => Promise<number[]>): Promise<{ input: AddNodeInput; drew?: string }> {
  const { seed, ...given } = partial;
  if (given.availability !== undefined && given.latency !== undefined) return { input: { ...given, availability: given.availability, latency: given.latency } };
  const { input, drawn } = drawMissing(await existingIds(), given, seed);
  return { input, drew: describeDrawn(drawn) };
}

function print(added: AddedNode, via: string, drew?: string): void {
  if (drew) console.log(drew);
  const n = added.node;
  console.log(`added node ${n.id} (${n.name}): availability ${n.availability}%, storage ${n.storage ? 'yes' : 'no'} — via ${via}`);
  for (const l of added.links) console.log(`  link ${l.from} <-> ${l.to}: ${l.latencyMs} ms`);
  if (added.app) console.log(`  app ${added.app.id} on node ${added.app.nodeId}: goal ${JSON.stringify(added.app.goal)}`);
}

export async function addNode(flags: AddNodeFlags): Promise<void> {
  const partial = parseFlags(flags);
  const token = readAdminToken();
  const probe = flags.api ?? readApiUrl();
  const api = flags.api ?? ((await controllerAnswers(probe)) ? probe : undefined);
  if (api) {
    const { input, drew } = await complete(partial, async () => (await listNodesViaApi(api, token)).map((n) => n.id));
    print(await addNodeViaApi(api, input, token), api, drew);
    return;
  }
  // No controller runs: write on the store the nodes read each run.
  const { openStore } = await import('../../db/open.js');
  const store = await openStore(readInfraConfig());
  try {
    await store.migrate();
    const { input, drew } = await complete(partial, async () => (await store.listNodes()).map((n) => n.id));
    print(await addNodeToStore(store, input, CLI_FIELDS), `the ${store.kind} store`, drew);
  } finally {
    await store.close();
  }
}
