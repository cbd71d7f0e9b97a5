import { z } from 'zod';
import { latencyMsSchema, MAX_NODE_ID } from '../../model/limits.js';
import { addNodeBodySchema } from '../add-node.js';
import { stepSchema } from '../../model/steps.js';

/*
 * Every route of the controller's API: method, path, one line on what it does, and the zod schemas
 * of its path parameters, query and body. The router (routes.ts) validates requests with these
 * schemas, and the OpenAPI document (openapi.ts) is generated from the same ones, so the document
 * cannot describe a parameter the API does not check. test/controller/openapi.test.ts checks that
 * every route on the router is in the document and that every documented path answers.
 */

/** Where the routes are mounted (controller/server.ts). */
export const API_BASE = '/api';

export const MAX_LIMIT = 1000;

export type Method = 'get' | 'post' | 'put' | 'delete';

export interface RouteSpec {
  method: Method;
  /** the express path below API_BASE, e.g. /nodes/:id */
  path: string;
  /** one line: the index, the document and its page show it */
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** when the route may refuse with 409: why (the document lists it) */
  conflict?: string;
  /** the success answer, described loosely */
  ok: { status: 200 | 201; description: string; mediaType?: 'application/json' | 'text/html' | 'text/event-stream' };
}

/**
 * Query parameters arrive as strings; this coerces one to an integer and names the bound on
 * failure. The metadata makes the document say integer (with the same bounds), not string.
 */
const intParam = (min: number, max: number, description: string) =>
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
    })
    .meta({ type: 'integer', minimum: min, ...(max < Number.MAX_SAFE_INTEGER ? { maximum: max } : {}), description });

/** A node or app id (1..MAX_NODE_ID) or an event id (any positive integer) in the path. */
const idInPath = (kind: 'node' | 'app' | 'event', description: string) => {
  const bounded = kind !== 'event';
  const max = bounded ? MAX_NODE_ID : Number.MAX_SAFE_INTEGER;
  return z
    .string()
    .transform((raw, ctx) => {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a positive integer ${kind} id${bounded ? ` (1 to ${MAX_NODE_ID})` : ''}, got ${JSON.stringify(raw)}` });
        return z.NEVER;
      }
      return n;
    })
    .meta({ type: 'integer', minimum: 1, ...(bounded ? { maximum: MAX_NODE_ID } : {}), description, example: 1 });
};

const appIdQuery = intParam(1, MAX_NODE_ID, 'only this app');

const pageQuery = z.object({
  limit: intParam(1, MAX_LIMIT, 'page size (default 50)'),
  offset: intParam(0, Number.MAX_SAFE_INTEGER, 'items to skip (default 0)'),
  appId: appIdQuery,
});

const eventsQuery = pageQuery.extend({
  active: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'))
    .meta({ description: 'true: only open events (feedback still counts); false: only closed ones' }),
  action: z.string().optional().meta({ description: 'only this action label, e.g. M3_1' }),
});

const runsQuery = pageQuery.extend({
  afterId: intParam(0, Number.MAX_SAFE_INTEGER, 'only runs with a larger id (follows new runs; order asc only)'),
  order: z
    .enum(['asc', 'desc'], { message: 'must be asc (oldest first, the default) or desc (newest first)' })
    .optional()
    .meta({ description: 'asc: oldest first (default); desc: newest first' }),
});

const nodeParams = z.object({ id: idInPath('node', 'node id') });

const putNodeBody = z
  .object({
    availability: z.number().min(0).max(100).optional().meta({ description: 'percent' }),
    storage: z.boolean().optional().meta({ description: 'whether the node may host data' }),
    name: z.string().min(1).max(100).optional(),
  })
  .strict()
  .refine((b) => b.availability !== undefined || b.storage !== undefined || b.name !== undefined, {
    message: 'give at least one of availability (0-100), storage (true/false) or name',
  })
  .meta({ description: 'at least one of the fields' });

/** POST /api/timeline: one step, as in a scenario's timeline without its time (docs/scenario.md, timeline[].do). */
export const applyStepBody = z
  .object({ do: stepSchema.meta({ description: "the step: {kind, ...}, as a scenario's timeline[].do (docs/scenario.md)" }) })
  .strict()
  .meta({ description: 'one timeline step, applied now' });

const json = (description: string, status: 200 | 201 = 200) => ({ status, description, mediaType: 'application/json' as const });

export const ROUTES = {
  index: { method: 'get', path: '/', summary: 'this index: every route in one line, with links to the OpenAPI document and its page', ok: json('{service, version, openapi, docs, routes: [{method, path, summary}]}; a browser is sent to the page') },
  openapi: { method: 'get', path: '/openapi.json', summary: 'the OpenAPI 3.1 document of this API, generated from the zod schemas that validate its requests', ok: json('the OpenAPI document') },
  docs: { method: 'get', path: '/docs', summary: 'the OpenAPI document as a page: every route with its parameters and body (works offline)', ok: { status: 200, description: 'an HTML page', mediaType: 'text/html' } },
  health: { method: 'get', path: '/health', summary: 'liveness: the service, its store, the scenario, the session (its proxies are <session>-app-<id>), the node count, uptime and stream clients', ok: json('{ok, service, store, scenario, strategy, session, nodes, uptimeS, streamClients}') },
  listNodes: { method: 'get', path: '/nodes', summary: "every fog node, with its apps' process state (a node that could not start is failed, with its error)", ok: json('[{id, name, availability, storage, apps: [{id, state, restarts, error}]}] by id; state: starting, running, restarting, stopped, failed, or null when the controller runs no nodes') },
  drift: { method: 'get', path: '/drift', summary: "where the store differs from the scenario file (the admin's edits and deletions, kept over a restart; fogsim up --reset applies the file)", ok: json('{file, items: [{what, file, store}]}') },
  getNode: { method: 'get', path: '/nodes/:id', summary: "one fog node, with its apps' process state", params: nodeParams, ok: json('{id, name, availability, storage, apps: [{id, state, restarts, error}]}') },
  addNode: {
    method: 'post',
    path: '/nodes',
    summary: 'add a fog node with its links to every existing node (and an app, given a goal); the orchestrator starts the app',
    body: addNodeBodySchema,
    ok: json('{node, links, app?}', 201),
  },
  putNode: { method: 'put', path: '/nodes/:id', summary: "change a node's availability, storage or name (each app sees it on its next run)", params: nodeParams, body: putNodeBody, ok: json('the node as changed') },
  deleteNode: {
    method: 'delete',
    path: '/nodes/:id',
    summary: "delete a node: its apps stop and go, its links, its copies of the data set (their objects too); apps of other nodes reading a copy there are re-pointed to the nearest other copy; runs and events stay",
    params: nodeParams,
    conflict: 'the node holds the last copy of a data set that an app of another node reads; the message names both',
    ok: json('{node, apps, links, copies, repointed: [{app, from: {copy, node}, to: {copy, node}}], impacts, counters, objects, bucket, warnings}'),
  },
  listLinks: { method: 'get', path: '/links', summary: 'the latency matrix, one link per direction', query: z.object({ node: intParam(1, MAX_NODE_ID, 'only the links of this node') }), ok: json('[{from, to, latencyMs}] by from, to') },
  putLink: {
    method: 'put',
    path: '/links/:from/:to',
    summary: 'set the latency between two nodes, both directions (each app sees it on its next run)',
    params: z.object({ from: idInPath('node', 'one node'), to: idInPath('node', 'the other node') }),
    body: z.object({ latencyMs: latencyMsSchema }).strict(),
    ok: json('both directions: [{from, to, latencyMs}, {from: to, to: from, latencyMs}]'),
  },
  listApps: { method: 'get', path: '/apps', summary: 'the apps with their goal, the copy of the data set each reads and the node it is on', ok: json('[{id, nodeId, goal, datasetId, dataNode, ...}] by id') },
  deleteApp: {
    method: 'delete',
    path: '/apps/:id',
    summary: 'delete an app: its process stops, its row and impact vectors go; its runs and events stay',
    params: z.object({ id: idInPath('app', 'app id') }),
    ok: json('{app, impacts, runsKept, warnings}'),
  },
  placements: { method: 'get', path: '/placements', summary: 'every copy of the data set with the apps that read it', ok: json('[{id, nodeId, bucket, objectKey, version, referencedBy: [app ids]}] by id') },
  listEvents: { method: 'get', path: '/events', summary: 'the actions taken (events), newest first, each with its feedback; paged and filtered', query: eventsQuery, ok: json('{total, limit, offset, items: [event with feedback]}') },
  getEvent: { method: 'get', path: '/events/:id', summary: 'one event with its feedback', params: z.object({ id: idInPath('event', 'event id') }), ok: json('the event with feedback: [...]') },
  listFeedback: { method: 'get', path: '/feedback', summary: 'the feedback other apps left on events', query: z.object({ eventId: intParam(1, Number.MAX_SAFE_INTEGER, 'only the feedback on this event') }), ok: json('[{eventId, appId, value, createdAtMs}]') },
  counters: { method: 'get', path: '/counters', summary: "every action's counter (the community's verdicts)", ok: json('[{label, value}] by label') },
  impacts: { method: 'get', path: '/impacts', summary: 'the impact vectors of each app and action, trained or learned online', query: z.object({ appId: appIdQuery }), ok: json('[{appId, actionLabel, vector, source, updatedAtMs}]') },
  runs: { method: 'get', path: '/runs', summary: 'the job runs with their metrics, paged; oldest first unless order=desc; afterId follows new runs', query: runsQuery, ok: json('{total, limit, offset, order, items: [run]}') },
  convergence: { method: 'get', path: '/convergence', summary: 'whether the system has converged, and if not what it waits for', ok: json('the convergence state') },
  listTimeline: {
    method: 'get',
    path: '/timeline',
    summary: "the timeline steps applied so far, oldest first: the scenario's (source timeline) and those applied by hand (source admin)",
    query: z.object({ afterId: intParam(0, Number.MAX_SAFE_INTEGER, 'only steps with a larger id (follows new steps)') }),
    ok: json('[{id, atMs, kind, args, source, error}]'),
  },
  applyStep: {
    method: 'post',
    path: '/timeline',
    summary: "apply one timeline step now (set a link's latency or bandwidth, a node's availability, a node down or up, add a node, change a goal); recorded with source admin",
    body: applyStepBody,
    ok: json('the recorded step: {id, atMs, kind, args, source, error}', 201),
  },
  streamApps: {
    method: 'get',
    path: '/stream-apps',
    summary: "the stream apps of the session (scenario apps of kind stream): per app its latest windows with their metrics and aggregates, its S{n} actions with their arithmetic, the rate steps of the workloads on its topic, and the latest window's aggregates",
    query: z.object({ limit: intParam(1, MAX_LIMIT, 'windows per app, the latest (default 120)') }),
    ok: json(
      "{startedAtMs, bus, apps: [{id, topic, goal, windowS, workers, maxWorkers, rule, strategy, windows: [window with its groups: [{gender, ageBand, count, avgCholesterol}]], windowCount, actions: [{atS, window, from, to, label, strategy, explored, rule, proposed, arithmetic, inputs, eventId}], rateSteps: [{workload, at, atS, rate}], groups: [{gender, ageBand, count, avgCholesterol}], consumed}]}; apps empty when the session runs none. The app keeps every window with its aggregates (a few groups each: gender x age band), so the latest `limit` windows are the aggregates' history and groups is the last window's. A rate step's at is the scenario's (seconds from the workloads' start), atS the same instant on the app's clock (that of the windows' startS/endS and the actions' atS); every step is listed, the coming ones too",
    ),
  },
  stream: { method: 'get', path: '/stream', summary: 'server-sent events: runs, actions, feedback, events, nodes, links, timeline steps, convergence and the stream apps\' closed windows (stream-window) as they happen', ok: { status: 200, description: 'an event stream; the first event is the current convergence', mediaType: 'text/event-stream' } },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
