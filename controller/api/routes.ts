import { Router, type Request, type Response } from 'express';
import type { Store } from '../../db/store.js';
import type { DatasetCopy, EventRow } from '../../model/types.js';
import { describeIssue, type Scenario } from '../../model/scenario.js';
import { storeDrift } from '../drift.js';
import type { RawStep } from '../../model/steps.js';
import type { Operations } from '../operations.js';
import type { NodeStatus } from '../runtime/runtime.js';
import { renderDocsPage } from './docs-page.js';
import { badRequest, notFound, parseOr400 } from './errors.js';
import { openApiDocument, openApiPath } from './openapi.js';
import { API_BASE, ROUTES, type RouteSpec } from './spec.js';
import type { ConvergenceState, LiveFeed } from './stream.js';
import type { StreamRun } from '../../stream/app/run.js';

export interface RoutesOptions {
  store: Store;
  feed: LiveFeed;
  convergence: () => Promise<ConvergenceState>;
  scenarioName?: string;
  /** the scenario the session started from, for the drift of the store from its file */
  scenario?: Scenario;
  /** the strategy the apps use (the scenario's `strategy`, or --strategy), for the dashboard */
  strategy?: string;
  /** the runtime's view of every app's node (with the ones that could not start); unset: states unknown */
  nodeStatus?: () => NodeStatus[];
  /** the session's namespace: its proxies are <session>-app-<id> (proxies/latency-control.ts) */
  session?: string;
  /** every write of the admin UI goes through these (controller/operations.ts): the timeline's path too */
  operations: Operations;
  /** the session's stream apps, if it runs any (GET /api/stream-apps) */
  streams?: Pick<StreamRun, 'snapshot'>;
  startedAtMs: number;
}

/** Every copy of the data set with the apps that read it, as the dashboard and the table show it. */
export async function placements(store: Store): Promise<(DatasetCopy & { referencedBy: number[] })[]> {
  const [copies, apps] = await Promise.all([store.listCopies(), store.listApps()]);
  return copies
    .map((c) => ({ ...c, referencedBy: apps.filter((a) => a.datasetId === c.id).map((a) => a.id).sort((a, b) => a - b) }))
    .sort((a, b) => a.id - b.id);
}

/** What GET /api/nodes says of the apps on a node: the runtime's state (null: not known here) and why it failed. */
export interface NodeAppState {
  id: number;
  state: NodeStatus['state'] | null;
  restarts: number;
  error: string | null;
}

async function withNodeApps<N extends { id: number }>(store: Store, nodes: N[], status: NodeStatus[]): Promise<(N & { apps: NodeAppState[] })[]> {
  const apps = await store.listApps();
  const byApp = new Map(status.map((st) => [st.appId, st]));
  return nodes.map((n) => ({
    ...n,
    apps: apps
      .filter((a) => a.nodeId === n.id)
      .sort((a, b) => a.id - b.id)
      .map((a) => {
        const st = byApp.get(a.id);
        return { id: a.id, state: st?.state ?? null, restarts: st?.restarts ?? 0, error: st?.error ?? null };
      }),
  }));
}

async function withFeedback(store: Store, events: EventRow[]) {
  return Promise.all(events.map(async (e) => ({ ...e, feedback: await store.listFeedback(e.id) })));
}

/** Answers `spec.method spec.path` with `handler`: one registration per route spec (spec.ts). */
function on(r: Router, spec: RouteSpec, handler: (req: Request, res: Response) => Promise<void> | void): void {
  r[spec.method](spec.path, handler);
}

export function apiRoutes(o: RoutesOptions): Router {
  const { store, feed, operations: ops } = o;
  const r = Router();
  const R = ROUTES;
  let document: ReturnType<typeof openApiDocument> | undefined;
  const doc = () => (document ??= openApiDocument());

  on(r, R.index, (req, res) => {
    // a browser asking for the API gets the page; clients the JSON index
    if (req.accepts(['application/json', 'text/html']) === 'text/html') return res.redirect(`${API_BASE}/docs`);
    res.json({
      service: 'fogsim-controller',
      version: doc().info.version,
      openapi: `${API_BASE}/openapi.json`,
      docs: `${API_BASE}/docs`,
      routes: Object.values(R).map((spec) => ({ method: spec.method.toUpperCase(), path: openApiPath(spec.path), summary: spec.summary })),
    });
  });

  on(r, R.openapi, (_req, res) => {
    res.json(doc());
  });

  on(r, R.docs, (_req, res) => {
    res.type('html').send(renderDocsPage(doc(), `${API_BASE}/openapi.json`));
  });

  on(r, R.health, async (_req, res) => {
    // Touches the store so that a broken store shows up here, not only in the first real request.
    const nodes = await store.listNodes();
    res.json({ ok: true, service: 'fogsim-controller', store: store.kind, scenario: o.scenarioName ?? null, strategy: o.strategy ?? 'original', session: o.session ?? null, nodes: nodes.length, uptimeS: Math.round((Date.now() - o.startedAtMs) / 1000), streamClients: feed.clientCount });
  });

  on(r, R.drift, async (_req, res) => {
    res.json({ file: o.scenario?.source ?? null, items: o.scenario ? await storeDrift(store, o.scenario) : [] });
  });

  on(r, R.listNodes, async (_req, res) => {
    res.json(await withNodeApps(store, (await store.listNodes()).sort((a, b) => a.id - b.id), o.nodeStatus?.() ?? []));
  });

  on(r, R.getNode, async (req, res) => {
    const { id } = parseOr400(R.getNode.params, req.params);
    const node = await store.getNode(id);
    if (!node) throw notFound(`node ${id} does not exist`);
    res.json((await withNodeApps(store, [node], o.nodeStatus?.() ?? []))[0]);
  });

  on(r, R.addNode, async (req, res) => {
    const body = parseOr400(R.addNode.body, req.body);
    // the orchestrator starts the new node's app (operations' hook); the timeline records the step
    const added = await ops.addNode(body);
    await ops.record({ kind: 'addNode', ...body } as RawStep, 'admin');
    res.status(201).json(added);
  });

  on(r, R.putNode, async (req, res) => {
    const { id } = parseOr400(R.putNode.params, req.params);
    const patch = parseOr400(R.putNode.body, req.body);
    const node = await ops.updateNode(id, patch);
    // a change of availability is a timeline step (setAvailability); storage and name are not
    if (patch.availability !== undefined) await ops.record({ kind: 'setAvailability', node: id, availability: patch.availability }, 'admin');
    res.json(node);
  });

  on(r, R.deleteNode, async (req, res) => {
    const { id } = parseOr400(R.deleteNode.params, req.params);
    res.json(await ops.deleteNode(id));
  });

  on(r, R.listLinks, async (req, res) => {
    const q = parseOr400(R.listLinks.query, req.query, '?');
    let links = await store.listLinks();
    if (q.node !== undefined) links = links.filter((l) => l.from === q.node || l.to === q.node);
    res.json(links.sort((a, b) => a.from - b.from || a.to - b.to));
  });

  on(r, R.putLink, async (req, res) => {
    const { from, to } = parseOr400(R.putLink.params, req.params);
    if (from === to) throw badRequest(`to: a node's latency to itself is always 0; pick two different nodes`);
    const { latencyMs } = parseOr400(R.putLink.body, req.body);
    const links = await ops.setLatency(from, to, latencyMs);
    await ops.record({ kind: 'setLatency', from, to, latencyMs }, 'admin');
    res.json(links);
  });

  on(r, R.listApps, async (_req, res) => {
    const [apps, copies] = await Promise.all([store.listApps(), store.listCopies()]);
    const nodeOf = new Map(copies.map((c) => [c.id, c.nodeId]));
    res.json(apps.map((a) => ({ ...a, dataNode: a.datasetId === null ? null : (nodeOf.get(a.datasetId) ?? null) })).sort((a, b) => a.id - b.id));
  });

  on(r, R.deleteApp, async (req, res) => {
    const { id } = parseOr400(R.deleteApp.params, req.params);
    res.json(await ops.deleteApp(id));
  });

  on(r, R.placements, async (_req, res) => {
    res.json(await placements(store));
  });

  on(r, R.listEvents, async (req, res) => {
    const q = parseOr400(R.listEvents.query, req.query, '?');
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    // Events number in the hundreds at most (one per action), so filter and page here, newest first.
    let all = await store.listEvents({ appId: q.appId, active: q.active });
    if (q.action) all = all.filter((e) => e.actionLabel === q.action);
    all.sort((a, b) => b.id - a.id);
    res.json({ total: all.length, limit, offset, items: await withFeedback(store, all.slice(offset, offset + limit)) });
  });

  on(r, R.getEvent, async (req, res) => {
    const { id } = parseOr400(R.getEvent.params, req.params);
    const e = await store.getEvent(id);
    if (!e) throw notFound(`event ${id} does not exist`);
    res.json((await withFeedback(store, [e]))[0]);
  });

  on(r, R.listFeedback, async (req, res) => {
    const q = parseOr400(R.listFeedback.query, req.query, '?');
    res.json(await store.listFeedback(q.eventId));
  });

  on(r, R.counters, async (_req, res) => {
    const c = await store.getCounters();
    res.json(Object.entries(c).map(([label, value]) => ({ label, value })).sort((a, b) => a.label.localeCompare(b.label)));
  });

  on(r, R.impacts, async (req, res) => {
    const q = parseOr400(R.impacts.query, req.query, '?');
    const rows = await store.listImpacts(q.appId);
    res.json(rows.sort((a, b) => a.appId - b.appId || a.actionLabel.localeCompare(b.actionLabel)));
  });

  on(r, R.runs, async (req, res) => {
    const q = parseOr400(R.runs.query, req.query, '?');
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

  on(r, R.convergence, async (_req, res) => {
    res.json(await o.convergence());
  });

  on(r, R.listTimeline, async (req, res) => {
    const q = parseOr400(R.listTimeline.query, req.query, '?');
    res.json(await store.listTimeline({ afterId: q.afterId }));
  });

  on(r, R.applyStep, async (req, res) => {
    // the messages of a scenario's timeline: `do.kind: unknown kind "x"; expected one of ...`
    const parsed = R.applyStep.body.safeParse(req.body, { reportInput: true });
    if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => describeIssue(i)).join('; '));
    const { row } = await ops.apply(parsed.data.do, 'admin');
    res.status(201).json(row);
  });

  on(r, R.streamApps, (req, res) => {
    const q = parseOr400(R.streamApps.query, req.query, '?');
    res.json(o.streams?.snapshot(q.limit ?? 120) ?? { startedAtMs: null, bus: null, apps: [] });
  });

  on(r, R.stream, async (_req, res) => {
    const initial = await o.convergence();
    feed.attach(res, initial);
  });

  r.use((req, _res) => {
    throw notFound(`no API route ${req.method} ${API_BASE}${req.path}; GET ${API_BASE} lists the routes (the document: ${API_BASE}/openapi.json)`);
  });

  return r;
}
