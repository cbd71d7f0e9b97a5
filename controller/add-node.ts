import { z } from 'zod';
import { UnavailableError, UserError } from '../model/errors.js';
import { latencyProblem, nodeIdProblem, nodeIdSchema } from '../model/limits.js';
import { parseGoal } from '../model/scenario.js';
import type { AppRow, LinkRow, NodeRow } from '../model/types.js';
import type { Store } from '../db/store.js';
import { appSeed, createRng } from '../util/rng.js';

/**
 * Adding a fog node at run time: the node row, a link to every existing node, and optionally
 * its app. The original needed eight files edited by hand; here one call validates everything
 * before writing anything. Starting the new node's app process is the orchestrator's job: it
 * listens through the `onNodeAdded` hook of the controller (or the `node` stream event).
 */
export interface AddNodeInput {
  id: number;
  name?: string;
  /** percent, 0..100 */
  availability: number;
  storage: boolean;
  /** latency in ms to every existing node, keyed by node id */
  latency: Record<string, number>;
  /** when given, an app with this goal is placed on the new node (app id = node id) */
  goal?: unknown;
}

export interface AddedNode {
  node: NodeRow;
  links: LinkRow[];
  app?: AppRow;
}

/** How the caller names each field in messages: API body fields or CLI flags. */
export interface FieldNames {
  id: string;
  availability: string;
  latency: string;
  goal: string;
}
export const API_FIELDS: FieldNames = { id: 'id', availability: 'availability', latency: 'latency', goal: 'goal' };
export const CLI_FIELDS: FieldNames = { id: '--id', availability: '--availability', latency: '--latency', goal: '--goal' };

export const addNodeBodySchema = z
  .object({
    id: nodeIdSchema,
    name: z.string().min(1).max(100).optional(),
    availability: z.number().min(0).max(100),
    storage: z.boolean().default(true),
    latency: z.record(z.string(), z.number()),
    goal: z.unknown().optional(),
  })
  .strict();

/**
 * Checks an addition against the nodes that exist; returns every problem, each naming its field.
 * `latency` must name every existing node exactly once, with a finite value >= 0, and nothing else.
 */
export function checkAddNode(existing: readonly NodeRow[], input: AddNodeInput, f: FieldNames = API_FIELDS): { problems: string[]; goal?: AppRow['goal'] } {
  const problems: string[] = [];
  const idProblem = nodeIdProblem(input.id);
  if (idProblem) problems.push(`${f.id}: ${idProblem}`);
  else if (existing.some((n) => n.id === input.id)) {
    problems.push(`${f.id}: node ${input.id} already exists; pick an unused id (existing: ${existing.map((n) => n.id).join(', ')})`);
  }
  if (!Number.isFinite(input.availability) || input.availability < 0 || input.availability > 100) {
    problems.push(`${f.availability}: must be a percentage between 0 and 100, got ${input.availability}`);
  }
  const ids = new Set(existing.map((n) => String(n.id)));
  for (const [peer, ms] of Object.entries(input.latency)) {
    if (peer === String(input.id)) problems.push(`${f.latency}: ${peer} is the new node itself; its latency to itself is always 0, leave it out`);
    else if (!ids.has(peer)) problems.push(`${f.latency}: unknown peer node ${JSON.stringify(peer)}; existing nodes are ${[...ids].join(', ')}`);
    else {
      const problem = latencyProblem(ms);
      if (problem) problems.push(`${f.latency}: latency to node ${peer} ${problem}`);
    }
  }
  const missing = [...ids].filter((id) => id !== String(input.id) && !(id in input.latency));
  if (missing.length) problems.push(`${f.latency}: missing latency to node(s) ${missing.join(', ')}; every existing node needs one, e.g. ${missing.map((m) => `${m}=1000`).join(',')}`);
  let goal: AppRow['goal'] | undefined;
  if (input.goal !== undefined) goal = parseGoal(input.goal, f.goal, problems);
  return { problems, goal };
}

/** Validates, then writes the node, its links (both ways) and its app straight on the store. */
export async function addNodeToStore(store: Store, input: AddNodeInput, f: FieldNames = API_FIELDS): Promise<AddedNode> {
  const existing = await store.listNodes();
  const { problems, goal } = checkAddNode(existing, input, f);
  if (problems.length) throw new UserError(`cannot add node ${input.id}: ${problems.join('; ')}`, problems);
  const node: NodeRow = { id: input.id, name: input.name ?? `node${input.id}`, availability: input.availability, storage: input.storage };
  await store.upsertNode(node);
  const links: LinkRow[] = [];
  for (const n of existing) {
    const latencyMs = input.latency[String(n.id)];
    await store.setLink(node.id, n.id, latencyMs);
    links.push({ from: node.id, to: n.id, latencyMs });
  }
  let app: AppRow | undefined;
  if (goal) {
    app = { id: node.id, nodeId: node.id, goal };
    await store.upsertApp(app);
  }
  return { node, links, app };
}

/*
 * Values left out are drawn as the original's add_nodes.py does (initialize_random: a latency of
 * random.randint(100, 2000) ms per link, both ways alike) and its availability range (60..99 %),
 * uniform whole numbers from a seeded Rng: availability first, then the latency to every
 * existing node in ascending id order, so one seed draws the same whichever of the two is given.
 */
export const DRAW_LATENCY_MS = { min: 100, max: 2000 } as const;
export const DRAW_AVAILABILITY = { min: 60, max: 99 } as const;

/** The seed when none is given: derived from the node id, so adding the same node again draws the same. */
export function defaultDrawSeed(nodeId: number): number {
  return appSeed(0x6e6f6465, nodeId);
}

export interface DrawnValues {
  seed: number;
  /** set when the availability was drawn */
  availability?: number;
  /** set when the latencies were drawn */
  latency?: Record<string, number>;
}

/**
 * Completes an addition: a missing availability or latency map is drawn (see above) against the
 * ids of the existing nodes. Returns the input to add and what was drawn.
 */
export function drawMissing(
  existingIds: readonly number[],
  partial: Omit<AddNodeInput, 'availability' | 'latency'> & { availability?: number; latency?: Record<string, number> },
  seed = defaultDrawSeed(partial.id),
): { input: AddNodeInput; drawn: DrawnValues } {
  const rng = createRng(seed);
  const uniform = (r: { min: number; max: number }) => r.min + rng.int(r.max - r.min + 1);
  const availability = uniform(DRAW_AVAILABILITY);
  const latency: Record<string, number> = {};
  for (const id of [...existingIds].filter((n) => n !== partial.id).sort((a, b) => a - b)) latency[String(id)] = uniform(DRAW_LATENCY_MS);
  const drawn: DrawnValues = { seed };
  if (partial.availability === undefined) drawn.availability = availability;
  if (partial.latency === undefined) drawn.latency = latency;
  return { input: { ...partial, availability: partial.availability ?? availability, latency: partial.latency ?? latency }, drawn };
}

/** One line: `drew availability 73 %, latency 1=845,2=1730,3=212 ms (seed N)`; undefined when nothing was drawn. */
export function describeDrawn(d: DrawnValues): string | undefined {
  const parts: string[] = [];
  if (d.availability !== undefined) parts.push(`availability ${d.availability} %`);
  if (d.latency !== undefined) parts.push(`latency ${Object.entries(d.latency).map(([k, v]) => `${k}=${v}`).join(',') || '(no existing node)'} ms`);
  return parts.length ? `drew ${parts.join(', ')} (seed ${d.seed})` : undefined;
}

/** Parses `1=2000,2=1000` (the --latency flag) into {"1": 2000, "2": 1000}. */
export function parseLatencyFlag(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new UserError('--latency: expected peer=ms pairs such as 1=2000,2=1000');
  for (const part of parts) {
    const m = /^(\d+)\s*=\s*(-?\d+(?:\.\d+)?)$/.exec(part);
    if (!m) throw new UserError(`--latency: cannot read ${JSON.stringify(part)}; expected peer=ms pairs such as 1=2000,2=1000`);
    if (m[1] in out) throw new UserError(`--latency: node ${m[1]} is given twice`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Sends the addition to a running controller; its 400 message comes back as a UserError. */
export async function addNodeViaApi(apiUrl: string, input: AddNodeInput, token?: string): Promise<AddedNode> {
  const url = new URL('/api/nodes', apiUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(input), signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new UnavailableError(`--api: no controller answers at ${apiUrl} (${(e as Error).message}); start one with \`fogsim up\` or leave --api out to write on the store`);
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string } & Partial<AddedNode>;
  if (!res.ok) {
    if (res.status === 401) throw new UserError(`the controller at ${apiUrl} needs a token: set FOGSIM_ADMIN_TOKEN`);
    // The API names body fields; name the CLI flags instead so the user knows what to fix.
    const msg = (body.error ?? `HTTP ${res.status}`).replace(/\b(id|availability|latency|goal)\b(?=:)/g, '--$1');
    throw new UserError(msg);
  }
  return body as AddedNode;
}

/** The nodes a running controller knows (to draw latencies to each). */
export async function listNodesViaApi(apiUrl: string, token?: string): Promise<NodeRow[]> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(new URL('/api/nodes', apiUrl), { headers, signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new UnavailableError(`--api: no controller answers at ${apiUrl} (${(e as Error).message}); start one with \`fogsim up\` or leave --api out to write on the store`);
  }
  if (res.status === 401) throw new UserError(`the controller at ${apiUrl} needs a token: set FOGSIM_ADMIN_TOKEN`);
  if (!res.ok) throw new UserError(`the controller at ${apiUrl} did not list its nodes (HTTP ${res.status})`);
  return (await res.json()) as NodeRow[];
}

/** True when a fogsim controller answers /api/health at that URL within a short time. */
export async function controllerAnswers(apiUrl: string, timeoutMs = 800): Promise<boolean> {
  try {
    const res = await fetch(new URL('/api/health', apiUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return false;
    const body = (await res.json()) as { service?: string };
    return body.service === 'fogsim-controller';
  } catch {
    return false;
  }
}
