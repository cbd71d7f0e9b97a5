import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LATENCY_MS } from '../../model/limits.js';
import { AppNode } from '../../nodes/node.js';
import { systemClock } from '../../util/clock.js';
import { createRng } from '../../util/rng.js';
import { scaledThesis, startInfra, type Infra } from './fixtures.js';

/*
 * A link so slow that a run never ends (issue 18: PUT latencyMs 1e12 left the app stalled for
 * good, and restoring the latency did not help): the job's timeout (scenario job.timeoutMs)
 * records the run as failed, and once the link is restored the next run reads the data again,
 * on the real data path (embedded S3 and proxy).
 */
describe('an app on a stalled link', () => {
  const s = scaledThesis({ links: [{ from: 1, to: 2, latencyMs: 5 }, { from: 1, to: 3, latencyMs: 5 }, { from: 2, to: 3, latencyMs: 5 }] });
  let infra: Infra;
  let node: AppNode;

  beforeAll(async () => {
    infra = await startInfra(s);
    const runJob = await infra.jobFor(1, { timeoutMs: 1500 });
    node = new AppNode({ store: infra.store, objects: infra.objects, latency: infra.latency, session: infra.session, clock: systemClock, rng: createRng(1), scenario: s, appId: 1, runJob, warmUp: false });
  }, 60_000);
  afterAll(async () => {
    await infra?.close();
  });

  it('fails its runs with the timeout while the link stalls, and recovers when the link does', async () => {
    const before = await node.measure();
    expect(before.error).toBeNull();
    expect(before.copy.nodeId).toBe(3);

    // the most a user may set, per request: without the timeout this run would take hours
    await infra.store.setLink(1, 3, MAX_LATENCY_MS);
    const t = Date.now();
    const stalled = await node.measure();
    expect(stalled.error).toMatch(/timed out after 1500 ms/);
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(Number.isNaN(stalled.metrics.responseTime)).toBe(true);
    // a second run on the stalled link fails the same way: nothing is left hanging in between
    expect((await node.measure()).error).toMatch(/timed out after 1500 ms/);

    await infra.store.setLink(1, 3, 5);
    const recovered = await node.measure();
    expect(recovered.error).toBeNull();
    expect(recovered.metrics.responseTime).toBeLessThan(1500);
  }, 60_000);
});
