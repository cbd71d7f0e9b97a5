/**
 * The stream's data path on real Kafka (issue 19 item 1; stream/data-path.ts kafkaPath): each node
 * reaches the broker through a Toxiproxy proxy of its own (`<session>-stream-node-<id>`) whose
 * latency toxic is the link latency between the node and stream.busNode, through a kafkajs client
 * whose socketFactory maps every broker address to that proxy. A send from a node 200 ms away is
 * acknowledged >= 200 ms later; from the bus's node it is not; an edit of the link applies to the
 * next send; a consumer on the far node gets its batches >= 200 ms after they were written; every
 * acknowledged message is consumed.
 *
 * Needs FOGSIM_KAFKA_BROKERS and a reachable FOGSIM_TOXIPROXY_URL (scripts/real/up.sh kafka
 * toxiproxy); skipped otherwise. The proxy server must reach the brokers at the addresses given.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaPath, proxyNameForStream } from '../../stream/data-path.js';
import { KafkaBus } from '../../stream/kafka-bus.js';
import { openLatencyControl } from '../../proxies/toxiproxy-control.js';
import { readInfraConfig } from '../../util/config.js';

const cfg = { ...readInfraConfig(), session: `fogsim-test-${process.pid}`, proxyBasePort: 0 };
const brokers = cfg.kafkaBrokers;

async function reachable(url: string | undefined): Promise<boolean> {
  if (!url) return false;
  try {
    const r = await fetch(`${url}/version`, { signal: AbortSignal.timeout(3000) });
    return r.ok;
  } catch {
    return false;
  }
}
const ready = Boolean(brokers) && (await reachable(cfg.toxiproxyUrl));

if (!ready && process.env.CI) {
  describe('stream data path on real Kafka', () => {
    it('has FOGSIM_KAFKA_BROKERS and a reachable FOGSIM_TOXIPROXY_URL in CI', () => {
      throw new Error('CI is set but FOGSIM_KAFKA_BROKERS or a reachable FOGSIM_TOXIPROXY_URL is missing: run scripts/real/up.sh and source $FOGSIM_REAL_DIR/env.sh');
    });
  });
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

describe.skipIf(!ready)('the stream data path through a Toxiproxy proxy per node in front of real Kafka (skipped: FOGSIM_KAFKA_BROKERS or FOGSIM_TOXIPROXY_URL missing)', () => {
  it('a send from a node 200 ms away takes >= 200 ms to ack, from the bus node not; a link edit applies to the next send; the far consumer gets batches late; nothing acked is lost', async () => {
    const control = await openLatencyControl(cfg);
    const admin = new KafkaBus({ brokers: brokers!, clientId: 'fogsim-test-admin' });
    closers.push(() => admin.close());
    const topic = `fogsim-test-path-${randomUUID().slice(0, 8)}`;
    await admin.createTopic(topic, 1);
    closers.push(() => admin.deleteTopic(topic));
    const latency = new Map([[2, 200]]);
    const path = kafkaPath({ brokers: brokers!, busNode: 1, latencyOf: async (n) => latency.get(n) ?? 0, control, cfg });
    closers.push(() => path.close());

    const near = (await path.busFor(1)).producer({ acks: -1 });
    const far = (await path.busFor(2)).producer({ acks: -1 });
    closers.push(() => near.close(), () => far.close());
    // the proxies exist, one per node, with the link's latency as their toxic
    const names = path.proxies().map((p) => p.name).sort();
    expect(names).toEqual([proxyNameForStream(cfg.session, 1), proxyNameForStream(cfg.session, 2)]);
    expect(await control.getLatency(proxyNameForStream(cfg.session, 2))).toBe(200);
    expect(await control.getLatency(proxyNameForStream(cfg.session, 1))).toBe(0);

    const time = async (p: typeof near, i: number) => {
      const t = performance.now();
      await p.send(topic, [{ key: String(i), value: JSON.stringify({ i }), timestampMs: Date.now() }]);
      return performance.now() - t;
    };
    // first sends connect and fetch metadata: warm both up, then measure
    await time(near, 0);
    await time(far, 1);
    const nearMs: number[] = [];
    const farMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      nearMs.push(await time(near, 10 + i));
      farMs.push(await time(far, 20 + i));
    }
    expect(Math.min(...farMs)).toBeGreaterThanOrEqual(195);
    expect(Math.max(...nearMs)).toBeLessThan(150);

    // the admin UI lowers the link: the next send pays the new latency
    latency.set(2, 20);
    const after = await time(far, 30);
    expect(after).toBeLessThan(150);
    expect(await control.getLatency(proxyNameForStream(cfg.session, 2))).toBe(20);
    latency.set(2, 200);
    // a send syncs the node's proxy to the link (a consumer's poll syncs it only at its next batch)
    expect(await time(far, 31)).toBeGreaterThanOrEqual(195);

    // a consumer on node 2: its batches come through the 200 ms proxy
    const got: { delayMs: number; value: string }[] = [];
    const c = (await path.busFor(2)).consumer(`fogsim-test-path-${process.pid}`, topic);
    closers.push(() => c.close());
    await c.subscribe({ fromBeginning: true });
    await c.run((b) => {
      for (const m of b.messages) got.push({ delayMs: Date.now() - m.timestampMs, value: m.value.toString('utf8') });
    });
    const sent = 14;
    const fresh = Date.now();
    await near.send(topic, [{ value: JSON.stringify({ i: 99 }), timestampMs: fresh }]);
    const until = Date.now() + 30_000;
    while (got.length < sent + 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(sent + 1); // every acknowledged message, none lost
    const last = got.find((g) => g.value === JSON.stringify({ i: 99 }))!;
    expect(last.delayMs).toBeGreaterThanOrEqual(195);
  }, 120_000);
});
