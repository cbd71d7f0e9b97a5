/**
 * N producers placed on nodes (issue 19 item 1), and the link latency on the stream's data path:
 * on the embedded bus an emulated delay of the latency between the node and stream.busNode (a
 * send from a node 200 ms away is acknowledged >= 200 ms later, from the bus's node at once; a
 * batch for a worker 200 ms away is handed over 200 ms late), read from the store's links anew on
 * each send, so an edit applies to the next one. Kafka's (a Toxiproxy proxy per node) is in
 * test/real/stream-data-path.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../model/scenario.js';
import { EmbeddedBus } from '../../stream/embedded-bus.js';
import { embeddedPath, proxyNameForStream, proxySocketFactory, scenarioLatency, storeLatency } from '../../stream/data-path.js';
import { startWorkload } from '../../stream/workload/producer.js';
import { bloodtestsSource } from '../../stream/workload/sources.js';

const nodes = [
  { id: 1, availability: 99 },
  { id: 2, availability: 99 },
  { id: 3, availability: 99 },
];
const links = [
  { from: 1, to: 2, latencyMs: 200 },
  { from: 1, to: 3, latencyMs: 50 },
  { from: 2, to: 3, latencyMs: 100 },
];
const records = [{ gender: 'F', cholesterol: 180 }, { gender: 'M', cholesterol: 210 }];
const workload = { id: 'w', topic: 't', partitions: 4, source: { kind: 'bloodtests' }, rate: 400, batch: 10 };
const app = { kind: 'stream', id: 1, topic: 't', costMs: 1, maxWorkers: 4, goal: { metric: 'latency', max: 5000 } };

describe('scenario: producers, nodes, busNode, a stream app node', () => {
  it('defaults: one producer on the first node, the bus and the app on the first node', () => {
    const s = parseScenario({ nodes, links, dataset: { node: 1 }, apps: [app], workloads: [workload] });
    expect(s.workloads[0].producers).toBe(1);
    expect(s.workloads[0].nodes).toEqual([1]);
    expect(s.stream.busNode).toBe(1);
    expect(s.streamApps[0].node).toBe(1);
  });
  it('a node that does not exist is named with its field', () => {
    const bad = () => parseScenario({ nodes, links, dataset: { node: 1 }, stream: { busNode: 9 }, apps: [{ ...app, node: 8 }], workloads: [{ ...workload, producers: 3, nodes: [2, 7] }] });
    expect(bad).toThrow(/workloads\[0\]\.nodes\[1\]: node 7 does not exist; known nodes: 1, 2, 3/);
    expect(bad).toThrow(/stream\.busNode: node 9 does not exist/);
    expect(bad).toThrow(/apps\[0\]\.node: node 8 does not exist/);
    expect(() => parseScenario({ nodes, links, dataset: { node: 1 }, apps: [app], workloads: [{ ...workload, producers: 0 }] })).toThrow(/workloads\[0\]\.producers: must be >= 1/);
  });
});

describe('the embedded data path (an emulated delay: there is no socket to proxy)', () => {
  it('a send from a node 200 ms away takes >= 200 ms to ack; from the bus node ~0; an edit of the link applies to the next send', async () => {
    const bus = new EmbeddedBus();
    await bus.createTopic('t', 1);
    const latency = new Map([[2, 200]]);
    const path = embeddedPath(bus, 1, async (n) => latency.get(n) ?? 0);
    const time = async (node: number) => {
      const p = (await path.busFor(node)).producer();
      const t = performance.now();
      await p.send('t', [{ value: 'x', timestampMs: Date.now() }]);
      await p.close();
      return performance.now() - t;
    };
    expect(await time(2)).toBeGreaterThanOrEqual(199);
    expect(await time(1)).toBeLessThan(30);
    latency.set(2, 20);
    const after = await time(2);
    expect(after).toBeGreaterThanOrEqual(19);
    expect(after).toBeLessThan(150);
    await path.close();
    await bus.close();
  });

  it('a worker on a node 200 ms away gets each batch >= 200 ms after it was written', async () => {
    const bus = new EmbeddedBus();
    await bus.createTopic('t', 1);
    const path = embeddedPath(bus, 1, async (n) => (n === 2 ? 200 : 0));
    const got: number[] = [];
    const c = (await path.busFor(2)).consumer('g', 't');
    await c.subscribe({ fromBeginning: true });
    await c.run((b) => {
      for (const m of b.messages) got.push(Date.now() - m.timestampMs);
    });
    const p = bus.producer();
    await p.send('t', [{ value: 'x', timestampMs: Date.now() }]);
    for (let i = 0; i < 100 && !got.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got.length).toBe(1);
    expect(got[0]).toBeGreaterThanOrEqual(199);
    await c.close();
    await p.close();
    await bus.close();
  });

  it('latency from the store (what the admin UI edits), the scenario for a pair it does not know, 0 on the bus node', async () => {
    const s = parseScenario({ nodes, links, dataset: { node: 1 }, apps: [app], workloads: [workload] });
    const store = { getLatency: async (a: number, b: number) => (a === 2 && b === 1 ? 333 : undefined) };
    const of = storeLatency(store, 1, s);
    expect([await of(1), await of(2), await of(3)]).toEqual([0, 333, 50]);
    expect(await scenarioLatency(s, 2)(3)).toBe(100);
  });
});

describe('N producers on nodes', () => {
  it('the rate is the total, split across producers, spread round-robin over the nodes; per producer: node, sent, acked, errors, publish latency p50/p99', async () => {
    const bus = new EmbeddedBus();
    await bus.createTopic('t', 4);
    const path = embeddedPath(bus, 1, async (n) => (n === 2 ? 200 : 0));
    const views = new Map([
      [1, await path.busFor(1)],
      [2, await path.busFor(2)],
    ]);
    const s = parseScenario({ nodes, links, dataset: { node: 1 }, apps: [app], workloads: [{ ...workload, producers: 4, nodes: [1, 2] }] });
    const w = startWorkload((n) => views.get(n)!, s.workloads[0], bloodtestsSource(records, undefined));
    await new Promise((r) => setTimeout(r, 1500));
    await w.stop();
    const ps = w.stats.producers;
    expect(ps.map((p) => p.node)).toEqual([1, 2, 1, 2]);
    expect(w.stats.status).toBe('stopped');
    expect(ps.every((p) => p.errors === 0 && p.sent === p.acked)).toBe(true);
    expect(ps.reduce((a, p) => a + p.acked, 0)).toBe(w.stats.acked);
    // 400/s in total over ~1.5 s: 100/s a producer. One send in flight at a time: those on node 1
    // keep up (~150 each); those on node 2 pay 200 ms a send of at most batch (10): <= 50/s, the link's toll
    const far = ps.filter((p) => p.node === 2);
    const near = ps.filter((p) => p.node === 1);
    for (const p of near) expect(p.acked).toBeGreaterThan(110);
    for (const p of far) {
      expect(p.acked).toBeGreaterThan(30);
      expect(p.acked).toBeLessThanOrEqual(90);
    }
    for (const p of far) expect(p.latencyP50Ms!).toBeGreaterThanOrEqual(199);
    for (const p of near) expect(p.latencyP99Ms!).toBeLessThan(50);
    for (const p of ps) expect(p.latencyP99Ms!).toBeGreaterThanOrEqual(p.latencyP50Ms!);
    const ends = await bus.groupOffsets('none', 't');
    expect(ends.reduce((a, o) => a + o.end, 0)).toBe(w.stats.acked);
    await bus.close();
  });

  it('a send that fails stops every producer of the workload with the error (status failed, errors counted), never a hang', async () => {
    const bus = new EmbeddedBus();
    const s = parseScenario({ nodes, links, dataset: { node: 1 }, apps: [app], workloads: [{ ...workload, producers: 3 }] });
    const w = startWorkload(bus, s.workloads[0], bloodtestsSource(records, undefined));
    await expect(w.done).rejects.toThrow(/workload w \(topic t\) stopped: topic t does not exist/);
    expect(w.stats.status).toBe('failed');
    expect(w.stats.producers.reduce((a, p) => a + p.errors, 0)).toBeGreaterThanOrEqual(1);
    await bus.close();
  });
});

describe('the Kafka data path, its pieces', () => {
  it('a proxy per node and session; a socketFactory maps every broker address to the proxy (one broker), or each to its own (several)', () => {
    expect(proxyNameForStream('sess', 3)).toBe('sess-stream-node-3');
    expect(proxyNameForStream('sess', 3, 1, 2)).toBe('sess-stream-node-3-b1');
    const to = (port: number) => ({ host: '127.0.0.1', port });
    const one = proxySocketFactory(['kafka:9092'], [to(1)]);
    // one broker: any address (the bootstrap one, what the broker advertises) goes to its proxy
    const s = one({ host: 'broker-advertised', port: 29092, ssl: false as never, onConnect: () => {} });
    s.on('error', () => {});
    s.destroy();
    const two = proxySocketFactory(['a:1', 'b:2'], [to(1), to(2)]);
    expect(() => two({ host: 'c', port: 3, ssl: false as never, onConnect: () => {} })).toThrow(/broker c:3 is not in FOGSIM_KAFKA_BROKERS \(a:1,b:2\)/);
    const sb = two({ host: 'b', port: 2, ssl: false as never, onConnect: () => {} });
    sb.on('error', () => {});
    sb.destroy();
  });
});
