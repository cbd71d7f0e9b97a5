/**
 * Every route with path parameters answers a non-number in each one with a 400 naming that
 * parameter and what it is (issue 18: `GET /api/events/abc` once said "node id"). The routes come
 * from the spec (controller/api/spec.ts), so a new :param route is covered without editing this.
 */
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createControllerApp } from '../../controller/server.js';
import { API_BASE, ROUTES } from '../../controller/api/spec.js';
import { seedRealistic, tempStore, type TempStore } from './fixtures.js';

/** The kind of id each parameter of each route holds: what its message must say. */
function kindOf(path: string, param: string): string {
  if (path.startsWith('/events/')) return 'event id';
  if (path.startsWith('/apps/')) return 'app id';
  return 'node id';
}

describe('path parameters: messages name the parameter and its kind', () => {
  let t: TempStore;
  let app: ReturnType<typeof createControllerApp>;
  beforeEach(async () => {
    t = await tempStore();
    await seedRealistic(t.store, t.scenario);
    app = createControllerApp({ store: t.store, scenario: t.scenario, pollMs: 50 });
  });
  afterEach(async () => {
    app.feed.close();
    await t.cleanup();
  });

  it('each :param of each route, given "abc", is a 400 starting with its own name', async () => {
    const withParams = Object.values(ROUTES).filter((r) => r.path.includes(':'));
    expect(withParams.length).toBeGreaterThanOrEqual(4);
    for (const spec of withParams) {
      const names = [...spec.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      for (const bad of names) {
        const path = spec.path.replace(/:(\w+)/g, (_m, n: string) => (n === bad ? 'abc' : n === 'to' ? '2' : '1'));
        const req = request(app)[spec.method](API_BASE + path);
        const r = spec.method === 'get' ? await req : await req.send({});
        expect(r.status, `${spec.method} ${path}`).toBe(400);
        expect(r.body.error, `${spec.method} ${path}`).toMatch(new RegExp(`^${bad}: must be a positive integer ${kindOf(spec.path, bad)}\\b.*got "abc"`));
      }
    }
  });
});
