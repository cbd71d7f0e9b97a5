import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Store } from '../../db/store.js';
import type { DatasetCopy, EventRow } from '../../model/types.js';
import { latencyMsSchema, MAX_NODE_ID } from '../../model/limits.js';
import { addNodeBodySchema, addNodeToStore, type AddedNode } from '../add-node.js';
import { badRequest, notFound, parseOr400 } from './errors.js';
import type { ConvergenceState, LiveFeed } from './stream.js';

export interface RoutesOptions {
  store: Store;
  feed: LiveFeed;
  convergence: () => Promise<ConvergenceState>;
  scenarioName?: string;
  onNodeAdded?: (added: AddedNode) => void | Promise<void>;
  startedAtMs: number;
}

const MAX_LIMIT = 1000;

/** Query parameters arrive as strings; these coerce them and name the parameter on failure. */
const intParam = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return undefined;
      const n = Number(s);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer${max < Number.MAX_SAFE_INTEGER ? ` between ${min} and ${max}` : ` >= ${min}`}, got ${JSON.stringify(s)}` });
        return z.NEVER;
      }
      return n;
    });

const pageQuery = z.object({
  limit: intParam('limit', 1, MAX_LIMIT),
  offset: intParam('offset', 0),
  appId: intParam('appId', 1, MAX_NODE_ID),
});

const eventsQuery = pageQuery.extend({
  active: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true')),
  action: z.string().optional(),
});

const runsQuery = pageQuery.extend({
  afterId: intParam('afterId', 0),
  order: z.enum(['asc', 'desc'], { message: 'must be asc (oldest first, the default) or desc (newest first)' }).optional(),
});

/** A node id (1..MAX_NODE_ID) or an event id (any positive integer) in the path. */
function idParam(req: Request, name: string, kind: 'node' | 'event' = 'node'): number {
  const raw = req.params[name];
  const n = Number(raw);
  const max = kind === 'node' ? MAX_NODE_ID : Number.MAX_SAFE_INTEGER;
  if (!/^\d+$/.test(String(raw)) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw badRequest(`${name}: must be a positive integer ${kind} id${kind === 'node' ? ` (1 to ${MAX_NODE_ID})` : ''}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

const putNodeSchema = z
  .object({
    availability: z.number().min(0).max(100).optional(),
    storage: z.boolean().optional(),
    name: z.string().min(1).max(100).optional(),
  })
  .strict()
  .refine((b) => b.availability !== undefined || b.storage !== undefined || b.name !== undefined, {
    message: 'give at least one of availability (0-100), storage (true/false) or name',
  });

const putLinkSchema = z.object({ latencyMs: latencyMsSchema }).strict();

/** Every copy of the data set with the apps that read it, as the dashboard and the table show it. */
export async function placements(store: Store): Promise<(DatasetCopy & { referencedBy: number[] })[]> {
  const [copies, apps] = await Promise.all([store.listCopies(), store.listApps()]);
  return copies
    .map((c) => ({ ...c, referencedBy: apps.filter((a) => a.datasetId === c.id).map((a) => a.id).sort((a, b) => a - b) }))
    .sort((a, b) => a.id - b.id);
}

async function withFeedback(store: Store, events: EventRow[]) {
  return Promise.all(events.map(async (e) => ({ ...e, feedback: await store.listFeedback(e.id) })));
}

export function apiRoutes(o: RoutesOptions): Router {
  const { store, feed } = o;
  const r = Router();

  r.get('/health', async (_req, res) => {
    // Touches the store so that a broken store shows up here, not only in the first real request.
    const nodes = await store.listNodes();
    res.json({ ok: true, service: 'fogsim-controller', store: store.kind, scenario: o.scenarioName ?? null, nodes: nodes.length, uptimeS: Math.round((Date.now() - o.startedAtMs) / 1000), streamClients: feed.clientCount });
  });

  r.get('/nodes', async (_req, res) => {
    res.json((await store.listNodes()).sort((a, b) => a.id - b.id));
  });

  r.get('/nodes/:id', async (req, res) => {
    const id = idParam(req, 'id');
    const node = await store.getNode(id);
    if (!node) throw notFound(`node ${id} does not exist`);
    res.json(node);
  });

  r.post('/nodes', async (req, res) => {
    const body = parseOr400(addNodeBodySchema, req.body);
    const added = await addNodeToStore(store, body);
    feed.broadcast('node', { added: added.node, links: added.links, app: added.app ?? null });
    // The orchestrator starts the new node's app process from here; a failing hook is its problem, not the caller's.
    if (o.onNodeAdded) await Promise.resolve(o.onNodeAdded(added)).catch(() => undefined);
    res.status(201).json(added);
  });

  r.put('/nodes/:id', async (req, res) => {
    const id = idParam(req, 'id');
    const patch = parseOr400(putNodeSchema, req.body);
    const node = await store.updateNode(id, patch);
    if (!node) throw notFound(`node ${id} does not exist`);
    feed.broadcast('node', { updated: node });
    res.json(node);
  });

  r.get('/links', async (req, res) => {
    const q = parseOr400(z.object({ node: intParam('node', 1, MAX_NODE_ID) }), req.query, '?');
    let links = await store.listLinks();
    if (q.node !== undefined) links = links.filter((l) => l.from === q.node || l.to === q.node);
    res.json(links.sort((a, b) => a.from - b.from || a.to - b.to));
  });

  r.put('/links/:from/:to', async (req, res) => {
    const from = idParam(req, 'from');
    const to = idParam(req, 'to');
    if (from === to) throw badRequest(`to: a node's latency to itself is always 0; pick two different nodes`);
    const { latencyMs } = parseOr400(putLinkSchema, req.body);
    for (const id of [from, to]) if (!(await store.getNode(id))) throw notFound(`node ${id} does not exist`);
    await store.setLink(from, to, latencyMs);
    const links = [
      { from, to, latencyMs },
      { from: to, to: from, latencyMs },
    ];
    feed.broadcast('link', links);
    res.json(links);
  });

  r.get('/apps', async (_req, res) => {
    const [apps, copies] = await Promise.all([store.listApps(), store.listCopies()]);
    const nodeOf = new Map(copies.map((c) => [c.id, c.nodeId]));
    res.json(apps.map((a) => ({ ...a, dataNode: a.datasetId === null ? null : (nodeOf.get(a.datasetId) ?? null) })).sort((a, b) => a.id - b.id));
  });

  r.get('/placements', async (_req, res) => {
    res.json(await placements(store));
  });

  r.get('/events', async (req, res) => {
    const q = parseOr400(eventsQuery, req.query, '?');
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    // Events number in the hundreds at most (one per action), so filter and page here, newest first.
    let all = await store.listEvents({ appId: q.appId, active: q.active });
    if (q.action) all = all.filter((e) => e.actionLabel === q.action);
    all.sort((a, b) => b.id - a.id);
    res.json({ total: all.length, limit, offset, items: await withFeedback(store, all.slice(offset, offset + limit)) });
  });

  r.get('/events/:id', async (req, res) => {
    const id = idParam(req, 'id', 'event');
    const e = await store.getEvent(id);
    if (!e) throw notFound(`event ${id} does not exist`);
    res.json((await withFeedback(store, [e]))[0]);
  });

  r.get('/feedback', async (req, res) => {
    const q = parseOr400(z.object({ eventId: intParam('eventId', 1) }), req.query, '?');
    res.json(await store.listFeedback(q.eventId));
  });

  r.get('/counters', async (_req, res) => {
    const c = await store.getCounters();
    res.json(Object.entries(c).map(([label, value]) => ({ label, value })).sort((a, b) => a.label.localeCompare(b.label)));
  });

  r.get('/impacts', async (req, res) => {
    const q = parseOr400(z.object({ appId: intParam('appId', 1, MAX_NODE_ID) }), req.query, '?');
    const rows = await store.listImpacts(q.appId);
    res.json(rows.sort((a, b) => a.appId - b.appId || a.actionLabel.localeCompare(b.actionLabel)));
  });

  r.get('/runs', async (req, res) => {
    const q = parseOr400(runsQuery, req.query, '?');
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    if (q.order === 'desc') {
      if (q.afterId !== undefined) throw badRequest('?afterId: cannot be combined with order=desc; afterId follows new runs oldest first');
      // The store pages oldest first; newest-first page k is the mirrored window, reversed.
      const total = await store.countRuns(q.appId);
      const start = Math.max(0, total - offset - limit);
      const size = Math.max(0, Math.min(limit, total - offset));
      const items = size ? await store.listRuns({ limit: size, offset: start, appId: q.appId }) : [];
      res.json({ total, limit, offset, order: 'desc', items: items.reverse() });
      return;
    }
    const [items, total] = await Promise.all([store.listRuns({ limit, offset, appId: q.appId, afterId: q.afterId }), store.countRuns(q.appId)]);
    res.json({ total, limit, offset, order: 'asc', items });
  });

  r.get('/convergence', async (_req, res) => {
    res.json(await o.convergence());
  });

  r.get('/stream', async (_req, res) => {
    const initial = await o.convergence();
    feed.attach(res, initial);
  });

  r.use((req, _res) => {
    throw notFound(`no API route ${req.method} /api${req.path}; see GET /api/health and the README for the routes`);
  });

  return r;
}
