/**
 * Embedded server behaviour beyond the shared contract: stricter input checks, browser refusal,
 * shutdown, memory bound under latency, the LatencyControl's errors when the server is down.
 * Each toxic's own cases are in test/proxies/toxics/<type>.test.ts.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError, UserError } from '../../model/errors.js';
import { startProxyServer, type RunningProxyServer } from '../../proxies/server/index.js';
import { openLatencyControl, ToxiproxyLatencyControl } from '../../proxies/toxiproxy-control.js';
import { readInfraConfig } from '../../util/config.js';
import { connect, portOf, startUpstreams, watch, within, type Upstreams } from './helpers.js';

let server: RunningProxyServer;
let up: Upstreams;
const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));

beforeAll(async () => {
  server = await startProxyServer({ port: 0 });
  up = await startUpstreams(20 * 1024 * 1024);
});
afterAll(async () => {
  await server.close();
  await up.close();
});

describe('embedded server: input checks (400 naming the field)', () => {
  it('rejects negative, fractional and out-of-range values', async () => {
    await post('/proxies', { name: 'chk', upstream: `127.0.0.1:${up.echoPort}` });
    expect(await post('/proxies/chk/toxics', { type: 'latency', attributes: { latency: -5 } })).toEqual({
      status: 400,
      json: { error: 'bad request body: attributes.latency must be >= 0, got -5', status: 400 },
    });
    expect((await post('/proxies/chk/toxics', { type: 'latency', attributes: { latency: 1.5 } })).json.error).toMatch(/cannot unmarshal number 1\.5 into Go struct field LatencyToxic\.attributes\.latency of type int64/);
    expect(await post('/proxies/chk/toxics', { type: 'latency', toxicity: 2 })).toMatchObject({ status: 200, json: { toxicity: 2 } });
    expect((await post('/proxies/chk/toxics', { type: 'latency', name: 'ts', toxicity: 'high' })).json.error).toMatch(/cannot unmarshal string into Go struct field ToxicWrapper\.toxicity of type float32/);
    expect((await post('/proxies', { name: 'p2', upstream: 'no-port' })).json).toEqual({ error: 'bad request body: upstream must be host:port, got "no-port"', status: 400 });
    expect((await post('/proxies', { name: 'p3', upstream: '127.0.0.1:1', listen: '127.0.0.1:99999' })).status).toBe(400);
    expect((await post('/populate', { name: 'x' })).json).toMatchObject({ status: 400, proxies: null });
    expect((await post('/populate', [{ name: 'ok', upstream: '127.0.0.1:1' }, { name: 'bad' }])).json).toMatchObject({
      error: 'missing required field: upstream at proxy 2',
      status: 400,
    });
  });

  it('answers 500 with the listen error when the port is taken, and creates nothing', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await post('/proxies', { name: 'taken', listen: `127.0.0.1:${port}`, upstream: '127.0.0.1:1' });
    blocker.close();
    expect(r).toEqual({ status: 500, json: { error: `listen tcp 127.0.0.1:${port}: bind: address already in use`, status: 500 } });
    expect((await fetch(`${server.url}/proxies/taken`)).status).toBe(404);
  });

  it('routes and answers populate as Toxiproxy 2.12 does (probed: /proxies/ is 404, populate [] is {"proxies":null})', async () => {
    expect((await fetch(`${server.url}/proxies/`)).status).toBe(404);
    expect((await fetch(`${server.url}/proxies`)).status).toBe(200);
    expect(await post('/populate', [])).toEqual({ status: 201, json: { proxies: null } });
  });

  it('frames an error as Toxiproxy 2.12 does (text/plain, nosniff, request id, JSON and a newline)', async () => {
    const r = await fetch(`${server.url}/proxies/nope`);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-toxiproxy-request-id')).toMatch(/^[0-9a-f]{20}$/);
    expect(await r.text()).toBe('{"error":"proxy not found","status":404}\n');
    expect((await fetch(`${server.url}/version`)).headers.get('x-toxiproxy-request-id')).toMatch(/^[0-9a-f]{20}$/);
  });

  it('refuses browsers like Toxiproxy (403)', async () => {
    const r = await fetch(`${server.url}/proxies`, { headers: { 'user-agent': 'Mozilla/5.0' } });
    expect(r.status).toBe(403);
  });
});

describe('embedded server: data path', () => {
  it('keeps memory bounded under latency: the source is paused, all bytes still arrive', async () => {
    const created = await post('/proxies', { name: 'mem', upstream: `127.0.0.1:${up.httpPort}` });
    const port = portOf(created.json.listen as string);
    await post('/proxies/mem/toxics', { type: 'latency', attributes: { latency: 100 } });
    // a slow reader: the 20 MB body must wait in the proxy's bounded queues, not in memory at large
    const got = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/big', agent: false }, (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => {
            n += c.length;
            res.pause();
            setTimeout(() => res.resume(), 1);
          });
          res.on('end', () => resolve(n));
        })
        .on('error', reject);
    });
    expect(got).toBe(up.bigBytes);
  });

  it('connects to a dead upstream: the client is closed, the proxy stays up', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as net.AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const created = await post('/proxies', { name: 'dead', upstream: `127.0.0.1:${deadPort}` });
    const s = await connect(portOf(created.json.listen as string));
    const w = watch(s);
    expect(await within(w.closed, 2000)).not.toBe('timeout');
    expect((await fetch(`${server.url}/proxies/dead`)).status).toBe(200);
  });

  it('close() stops the API, the listeners and the open connections', async () => {
    const own = await startProxyServer({ port: 0 });
    const r = await fetch(`${own.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'c', upstream: `127.0.0.1:${up.echoPort}` }) });
    const port = portOf(((await r.json()) as { listen: string }).listen);
    const s = await connect(port);
    const w = watch(s);
    await own.close();
    expect(await within(w.closed, 2000)).not.toBe('timeout');
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(fetch(`${own.url}/version`)).rejects.toThrow();
  });
});

describe('LatencyControl errors', () => {
  it('a proxy server that is down gives a retriable UnavailableError naming the URL and the fix', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const url = `http://127.0.0.1:${port}`;
    const err = await openLatencyControl(readInfraConfig({ FOGSIM_TOXIPROXY_URL: url })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ retriable: true, httpStatus: 503 });
    expect((err as Error).message).toContain(`the latency proxy at ${url} is not reachable`);
    expect((err as Error).message).toContain('fogsim proxy serve');
    const lc = new ToxiproxyLatencyControl(url);
    await expect(lc.setLatency('app-1', 100)).rejects.toThrow(UnavailableError);
    await expect(lc.getLatency('app-1')).rejects.toThrow(`the latency proxy at ${url} is not reachable`);
  });

  it('no URL at all, or a bad one, is a UserError saying what to set', async () => {
    await expect(openLatencyControl(readInfraConfig({}))).rejects.toThrow(/set FOGSIM_TOXIPROXY_URL/);
    await expect(openLatencyControl(readInfraConfig({ FOGSIM_TOXIPROXY_URL: 'not a url' }))).rejects.toThrow(/FOGSIM_TOXIPROXY_URL is not a URL/);
  });

  it('opens the embedded server when FOGSIM_TOXIPROXY_URL is unset', async () => {
    const lc = await openLatencyControl(readInfraConfig({}), server.url);
    expect(lc.url).toBe(server.url);
    await expect(lc.setLatency('no-such-proxy', 10)).rejects.toThrow(/no proxy named "no-such-proxy"/);
  });
});
