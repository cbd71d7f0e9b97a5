import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppNode } from '../../nodes/node.js';
import { proxyNameForApp } from '../../proxies/latency-control.js';
import { systemClock } from '../../util/clock.js';
import { createRng } from '../../util/rng.js';
import { scaledThesis, startInfra, type Infra } from './fixtures.js';

/*
 * What the timeline's node and link state does to an app's run, on the real data path (embedded
 * S3 and proxy): a copy on a node that is down cannot be read (the reading app's proxy resets the
 * connection), a limited link paces the read; both lift when the state does.
 */
describe('measure() under the timeline: a node down, a link limited', () => {
  const s = scaledThesis({ links: [{ from: 1, to: 2, latencyMs: 5 }, { from: 1, to: 3, latencyMs: 5 }, { from: 2, to: 3, latencyMs: 5 }] });
  let infra: Infra;
  let node: AppNode;

  beforeAll(async () => {
    // 20,000 records: about 2 MB, so that a limit of 500 KB/s shows
    infra = await startInfra(s, 20_000);
    node = new AppNode({ store: infra.store, objects: infra.objects, latency: infra.latency, session: infra.session, clock: systemClock, rng: createRng(1), scenario: s, appId: 1, runJob: await infra.jobFor(1), warmUp: false });
  }, 60_000);
  afterAll(async () => {
    await infra?.close();
  });

  it('reads fail while the data node is down and pass once it is up', async () => {
    const ok = await node.measure();
    expect(ok.error).toBeNull();
    expect(ok.copy.nodeId).toBe(3);

    await infra.store.setNodeDown(3, true, Date.now());
    const failed = await node.measure();
    expect(failed.error).toMatch(/^node 3 is down \(its copy is unreachable\): /);
    expect(failed.error).toMatch(/ECONNRESET|socket hang up|reset/i);
    expect(Number.isNaN(failed.metrics.responseTime)).toBe(true);

    // a node down elsewhere changes nothing for this read
    await infra.store.setNodeDown(3, false, Date.now());
    await infra.store.setNodeDown(2, true, Date.now());
    expect((await node.measure()).error).toBeNull();
    await infra.store.setNodeDown(2, false, Date.now());
  });

  it('a limited link paces the read; lifting the limit lifts the toxic', async () => {
    const fast = await node.measure();
    expect(fast.error).toBeNull();
    await infra.store.setBandwidth(1, 3, 500);
    const slow = await node.measure();
    expect(slow.error).toBeNull();
    const toxics = await fetch(`${(infra.latency as unknown as { url: string }).url}/proxies/${proxyNameForApp(infra.session, 1)}/toxics`).then((r) => r.json() as Promise<{ name: string; attributes: Record<string, number> }[]>);
    expect(toxics.find((x) => x.name === 'bandwidth')?.attributes).toEqual({ rate: 500 });
    // ~2 MB at 500 KB/s: about 4 s, far beyond the unlimited read
    const records = 20_000;
    expect(slow.metrics.throughput).toBeLessThan(records / 2);
    expect(slow.metrics.executionTime).toBeGreaterThan(fast.metrics.executionTime * 5);
    await infra.store.setBandwidth(1, 3, 0);
    const lifted = await node.measure();
    expect(lifted.error).toBeNull();
    expect(lifted.metrics.executionTime).toBeLessThan(slow.metrics.executionTime / 3);
    // lifted = toxicity 0, never a delete (proxies/toxiproxy-control.ts)
    const after = await fetch(`${(infra.latency as unknown as { url: string }).url}/proxies/${proxyNameForApp(infra.session, 1)}/toxics`).then((r) => r.json() as Promise<{ name: string; toxicity: number }[]>);
    expect(after.filter((x) => x.toxicity > 0).map((x) => x.name)).not.toContain('bandwidth');
  }, 30_000);
});
