/**
 * Where test/real/proxy-conformance.test.ts found the twin answering otherwise than Toxiproxy 2.12:
 * each case is what the real server answers (probed with its Go client, toxiproxy-cli and curl).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxyServer, type RunningProxyServer } from '../../proxies/server/index.js';

let server: RunningProxyServer;
const call = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${server.url}${path}`, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, headers: r.headers, text: await r.text() };
};
const json = async (method: string, path: string, body?: unknown) => {
  const r = await call(method, path, body);
  return { status: r.status, json: JSON.parse(r.text) as Record<string, unknown> };
};

beforeAll(async () => {
  server = await startProxyServer({ port: 0 });
  await call('POST', '/proxies', { name: 'c', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
});
afterAll(async () => {
  await server.close();
});

describe('router misses answer as gorilla/mux does', () => {
  it('unknown path: 404 "404 page not found" in plain text, no request id', async () => {
    for (const path of ['/nope', '/proxies/', '/proxies/c/toxics/x/y']) {
      const r = await call('GET', path);
      expect(r.status).toBe(404);
      expect(r.text).toBe('404 page not found\n');
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-toxiproxy-request-id')).toBeNull();
    }
  });

  it('known path, wrong method: 405 with an empty body, no request id', async () => {
    for (const [method, path] of [['PUT', '/proxies'], ['PATCH', '/proxies'], ['DELETE', '/version'], ['GET', '/reset'], ['PATCH', '/reset'], ['GET', '/populate'], ['PATCH', '/populate'], ['PUT', '/proxies/c'], ['PATCH', '/proxies/c/toxics'], ['PUT', '/proxies/c/toxics/x']] as const) {
      const r = await call(method, path);
      expect([method, path, r.status, r.text]).toEqual([method, path, 405, '']);
      expect(r.headers.get('x-toxiproxy-request-id')).toBeNull();
    }
  });
});

describe('proxies as Toxiproxy keeps them', () => {
  it('a proxy made disabled shows its listen as given (Toxiproxy resolves it only to listen)', async () => {
    const made = await json('POST', '/proxies', { name: 'off', listen: 'localhost:0', upstream: '127.0.0.1:1', enabled: false });
    expect(made).toMatchObject({ status: 201, json: { listen: 'localhost:0', enabled: false } });
    const pop = await json('POST', '/populate', [{ name: 'off2', listen: 'localhost:0', upstream: '127.0.0.1:1', enabled: false }]);
    expect((pop.json.proxies as { listen: string }[])[0]!.listen).toBe('localhost:0');
    const on = await json('POST', '/proxies/off', { enabled: true });
    expect(on.json.listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    await call('DELETE', '/proxies/off');
    await call('DELETE', '/proxies/off2');
  });
});

describe('populate', () => {
  it('an error is written as its result is: application/json, no newline', async () => {
    const r = await call('POST', '/populate', [{ name: 'pe' }]);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.text).toBe('{"error":"missing required field: upstream at proxy 1","status":400,"proxies":null}');
  });
});

describe('toxics as Toxiproxy stores them', () => {
  it('keeps the stream as the client spelled it (the direction is parsed case-blind)', async () => {
    const r = await json('POST', '/proxies/c/toxics', { type: 'latency', stream: 'UPSTREAM' });
    expect(r).toEqual({ status: 200, json: { attributes: { latency: 0, jitter: 0 }, name: 'latency_UPSTREAM', type: 'latency', stream: 'UPSTREAM', toxicity: 1 } });
    const listed = (await json('GET', '/proxies/c')).json.toxics as { name: string; stream: string }[];
    expect(listed.find((t) => t.name === 'latency_UPSTREAM')?.stream).toBe('UPSTREAM');
    // still an upstream toxic: listed before a downstream one added later
    await json('POST', '/proxies/c/toxics', { type: 'latency', name: 'down' });
    expect(((await json('GET', '/proxies/c/toxics')).json as unknown as { name: string }[]).map((t) => t.name)).toEqual(['latency_UPSTREAM', 'down']);
    await call('DELETE', '/proxies/c/toxics/latency_UPSTREAM');
    await call('DELETE', '/proxies/c/toxics/down');
  });

  it('a duplicate name is 409 before its attributes are read', async () => {
    await json('POST', '/proxies/c/toxics', { type: 'latency', name: 'dup' });
    expect(await json('POST', '/proxies/c/toxics', { type: 'latency', name: 'dup', attributes: { latency: 'slow' } })).toEqual({
      status: 409,
      json: { error: 'toxic already exists', status: 409 },
    });
    await call('DELETE', '/proxies/c/toxics/dup');
  });

  it("a value of the wrong JSON type gets Go's decoder message; null leaves the attribute as it is", async () => {
    const err = async (body: unknown, path = '/proxies/c/toxics') => (await json('POST', path, body)).json.error;
    expect(await err({ type: 'latency', attributes: { latency: 'slow' } })).toBe('bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64');
    expect(await err({ type: 'latency', attributes: { latency: 1.5 } })).toBe('bad request body: json: cannot unmarshal number 1.5 into Go struct field LatencyToxic.attributes.latency of type int64');
    expect(await err({ type: 'slicer', attributes: { delay: [1] } })).toBe('bad request body: json: cannot unmarshal array into Go struct field SlicerToxic.attributes.delay of type int');
    expect(await err({ type: 'bandwidth', attributes: { rate: true } })).toBe('bad request body: json: cannot unmarshal bool into Go struct field BandwidthToxic.attributes.rate of type int64');
    expect(await err({ type: 'latency', toxicity: 'x' })).toBe('bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.toxicity of type float32');
    expect(await err({ type: 'latency', attributes: 'x' })).toBe('bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.attributes of type toxics.NoopToxic');
    expect((await json('POST', '/proxies/c/toxics', { type: 'latency', name: 'n', attributes: { latency: null, jitter: 3 } })).json.attributes).toEqual({ latency: 0, jitter: 3 });
    // an update decodes into the toxic itself (an anonymous struct around it)
    expect(await err({ attributes: { jitter: {} } }, '/proxies/c/toxics/n')).toBe('bad request body: json: cannot unmarshal object into Go struct field LatencyToxic.attributes.jitter of type int64');
    expect(await err({ toxicity: 'x' }, '/proxies/c/toxics/n')).toBe('bad request body: json: cannot unmarshal string into Go struct field .toxicity of type float32');
    expect(await err({ attributes: 'x' }, '/proxies/c/toxics/n')).toBe('bad request body: json: cannot unmarshal string into Go struct field .attributes of type toxics.LatencyToxic');
    expect((await json('POST', '/proxies/c/toxics/n', { attributes: { jitter: null } })).json.attributes).toEqual({ latency: 0, jitter: 3 });
    await call('DELETE', '/proxies/c/toxics/n');
  });
});
