import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControllerServer, type RunningController } from '../../controller/server.js';
import { openApiPath, type OpenApiDocument, type OpenApiOperation } from '../../controller/api/openapi.js';
import { API_BASE } from '../../controller/api/spec.js';
import { seedRealistic, tempStore, type TempStore } from './fixtures.js';

/*
 * The OpenAPI document against the router: every route registered on the API router is in the
 * document, every documented operation answers (no 404: the route exists), and the bounds the
 * document gives for query parameters are the ones the API enforces.
 */

interface Layer {
  name: string;
  handle: unknown;
  route?: { path: string; methods: Record<string, boolean> };
}

/** The routes on the API router: walked from the express app's stack, not taken from the specs. */
function routerRoutes(c: RunningController): { method: string; path: string }[] {
  const appStack = (c.app as unknown as { router: { stack: Layer[] } }).router.stack;
  const routers = appStack.filter((l) => l.name === 'router');
  expect(routers).toHaveLength(1);
  const stack = (routers[0].handle as { stack: Layer[] }).stack;
  return stack.flatMap((l) => (l.route ? Object.keys(l.route.methods).filter((m) => m !== '_all').map((method) => ({ method, path: l.route!.path })) : []));
}

const operations = (doc: OpenApiDocument) =>
  Object.entries(doc.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, op]) => ({ path, method, op: op as OpenApiOperation })));

/** A documented path with its path parameters filled from their examples. */
function concrete(path: string, op: OpenApiOperation): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const p = op.parameters?.find((x) => x.in === 'path' && x.name === name);
    expect(p, `${path}: parameter ${name} is documented`).toBeDefined();
    expect(p!.example, `${path}: parameter ${name} has an example`).toBeDefined();
    return String(p!.example);
  });
}

describe('OpenAPI document of the controller API', () => {
  let t: TempStore;
  let c: RunningController;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    t = await tempStore();
    await seedRealistic(t.store, t.scenario);
    c = await startControllerServer({ store: t.store, scenario: t.scenario, port: 0, pollMs: 50 });
    const res = await fetch(`${c.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
  });
  afterAll(async () => {
    await c?.close();
    await t?.cleanup();
  });

  it('is OpenAPI 3.1 with an info block, and every operation has an id, a summary and answers', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    const ids = new Set<string>();
    for (const { path, method, op } of operations(doc)) {
      expect(path.startsWith(API_BASE), path).toBe(true);
      expect(['get', 'post', 'put', 'patch', 'delete']).toContain(method);
      expect(op.summary, `${method} ${path}`).toBeTruthy();
      expect(ids.has(op.operationId), `operationId ${op.operationId} unique`).toBe(false);
      ids.add(op.operationId);
      expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      // every {param} of the path is a documented path parameter, and no other
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort(), `${method} ${path}`).toEqual(inPath);
    }
  });

  it('has every route registered on the API router', () => {
    const routes = routerRoutes(c);
    expect(routes.length).toBeGreaterThanOrEqual(20);
    for (const r of routes) {
      expect(doc.paths[openApiPath(r.path)]?.[r.method as 'get'], `${r.method.toUpperCase()} ${r.path} is in the document`).toBeDefined();
    }
    // and documents nothing the router lacks
    expect(operations(doc).length).toBe(routes.length);
  });

  it('every documented path answers (not 404); writes with an empty body are refused with 400; deletes of a missing id 404 naming it', async () => {
    for (const { path, method, op } of operations(doc)) {
      if (method === 'delete') {
        // the example id would delete what the other checks read: an id that does not exist answers the route's own 404
        const res = await fetch(`${c.url}${concrete(path, op).replace(/\/1$/, '/9999')}`, { method: 'DELETE' });
        expect(res.status, `DELETE ${path}`).toBe(404);
        expect(((await res.json()) as { error: string }).error, `DELETE ${path}`).toMatch(/^(node|app) 9999 does not exist/);
        continue;
      }
      const url = `${c.url}${concrete(path, op)}`;
      const ac = new AbortController();
      const res = await fetch(url, { method: method.toUpperCase(), signal: ac.signal, ...(method === 'get' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }) });
      ac.abort(); // the stream would go on
      expect(res.status, `${method.toUpperCase()} ${path}`).not.toBe(404);
      expect(res.status, `${method.toUpperCase()} ${path}`).toBe(method === 'get' ? 200 : 400);
      const type = Object.keys(op.responses[method === 'get' ? '200' : '400']?.content ?? {})[0];
      if (type) expect(res.headers.get('content-type'), `${method.toUpperCase()} ${path}`).toContain(type);
    }
  });

  it("the query parameters' documented bounds are the ones the API enforces", async () => {
    let checked = 0;
    for (const { path, op } of operations(doc)) {
      for (const p of op.parameters ?? []) {
        if (p.in !== 'query' || p.schema.type !== 'integer') continue;
        const below = Number(p.schema.minimum) - 1;
        const res = await fetch(`${c.url}${concrete(path, op)}?${p.name}=${below}`);
        expect(res.status, `${path}?${p.name}=${below}`).toBe(400);
        expect(((await res.json()) as { error: string }).error).toMatch(new RegExp(`^\\?${p.name}: must be an integer`));
        if (p.schema.maximum !== undefined) {
          expect((await fetch(`${c.url}${concrete(path, op)}?${p.name}=${Number(p.schema.maximum) + 1}`)).status).toBe(400);
          expect((await fetch(`${c.url}${concrete(path, op)}?${p.name}=${String(p.schema.maximum)}`)).status).not.toBe(400);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('documents the request bodies from the zod schemas (required fields, bounds, closed objects)', () => {
    const addNode = doc.paths['/api/nodes']?.post?.requestBody?.content['application/json'].schema as Record<string, any>;
    expect(addNode.required).toEqual(expect.arrayContaining(['id', 'availability', 'latency']));
    expect(addNode.properties.availability).toMatchObject({ type: 'number', minimum: 0, maximum: 100 });
    expect(addNode.additionalProperties).toBe(false);
    const putLink = doc.paths['/api/links/{from}/{to}']?.put?.requestBody?.content['application/json'].schema as Record<string, any>;
    expect(putLink).toMatchObject({ type: 'object', required: ['latencyMs'], properties: { latencyMs: { type: 'number', minimum: 0 } } });
    // a timeline step: one kind of several, each a closed object
    const step = doc.paths['/api/timeline']?.post?.requestBody?.content['application/json'].schema as Record<string, any>;
    expect(step.required).toEqual(['do']);
    expect(step.properties.do.oneOf.map((v: any) => v.properties.kind.const)).toEqual(['setLatency', 'setAvailability', 'nodeDown', 'nodeUp', 'addNode', 'setBandwidth', 'setGoal', 'deleteApp', 'deleteNode']);
    const nodeId = doc.paths['/api/nodes/{id}']?.get?.parameters?.[0];
    expect(nodeId).toMatchObject({ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 9999 } });
  });

  it('GET /api is an index of the routes with links to the document and its page', async () => {
    const res = await fetch(`${c.url}/api`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const index = (await res.json()) as { openapi: string; docs: string; routes: { method: string; path: string; summary: string }[] };
    expect(index.openapi).toBe('/api/openapi.json');
    expect(index.docs).toBe('/api/docs');
    expect(index.routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(operations(doc).map((o) => `${o.method.toUpperCase()} ${o.path}`).sort());
    for (const r of index.routes) expect(r.summary).toBeTruthy();
    // a browser is sent to the page
    const html = await fetch(`${c.url}/api`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    expect(html.status).toBe(302);
    expect(html.headers.get('location')).toBe('/api/docs');
  });

  it('GET /api/docs renders every route, self-contained (no script, nothing fetched from elsewhere)', async () => {
    const res = await fetch(`${c.url}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    for (const { path, method, op } of operations(doc)) {
      expect(page).toContain(`id="${op.operationId}"`);
      expect(page).toContain(`<code>${path}</code>`);
      expect(page).toContain(`${method.toUpperCase()}</span>`);
    }
    expect(page).toContain('href="/api/openapi.json"');
    expect(page).not.toMatch(/<script|<link|src=|href="(https?:)?\/\//i);
    // parameters and bodies are on the page
    expect(page).toContain('integer, 1 to 1000');
    expect(page).toContain('<code>latencyMs</code>');
    expect(page).toContain('object with kind one of &quot;setLatency&quot;, &quot;setAvailability&quot;');
  });

  it('an unknown route answers 404 pointing at the index', async () => {
    const res = await fetch(`${c.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/no API route GET \/api\/nope; GET \/api lists the routes/);
  });
});
