/**
 * A workload's producers (stream/workload/producer.ts): the wait time (waitMs, Kafka's linger.ms)
 * lets a batch fill before it goes, up to `batch`; without it what is due goes at once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { BusProducer, MessageBus } from '../../stream/bus.js';
import { EmbeddedBus } from '../../stream/embedded-bus.js';
import { startWorkload } from '../../stream/workload/producer.js';
import { bloodtestsSource } from '../../stream/workload/sources.js';

const bus = new EmbeddedBus();
afterAll(() => bus.close());

/** The bus as the producers see it, each send's size recorded. */
function recording(sizes: number[]): MessageBus {
  const view = Object.create(bus) as MessageBus;
  view.producer = (o) => {
    const p: BusProducer = bus.producer(o);
    return { send: (topic, messages) => (sizes.push(messages.length), p.send(topic, messages)), close: () => p.close() };
  };
  return view;
}

async function sendSizes(topic: string, waitMs: number, batch: number): Promise<{ sizes: number[]; acked: number }> {
  await bus.createTopic(topic, 2);
  const sizes: number[] = [];
  const w = startWorkload(recording(sizes), { id: topic, topic, rate: 200, rateSteps: [], batch, waitMs }, bloodtestsSource([{ gender: 'F', cholesterol: 180 }], undefined));
  await new Promise((r) => setTimeout(r, 1500));
  await w.stop();
  return { sizes, acked: w.stats.acked };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('producers: the wait time for a batch to fill', () => {
  it('without a wait, what is due goes at once, in small sends; with 200 ms at 200 msgs/s, sends of about 40; never over the batch', async () => {
    const now = await sendSizes('no-wait', 0, 50);
    const lingered = await sendSizes('wait-200', 200, 50);
    const full = await sendSizes('wait-long', 5000, 50);
    // a tick is 20 ms: about 4 messages a send
    expect(mean(now.sizes)).toBeLessThan(12);
    expect(mean(lingered.sizes)).toBeGreaterThan(25);
    expect(Math.max(...lingered.sizes)).toBeLessThanOrEqual(50);
    // a wait longer than the batch takes to fill: every send is a full batch
    expect(full.sizes.length).toBeGreaterThan(0);
    expect(full.sizes.every((n) => n === 50)).toBe(true);
    // the rate holds whatever the wait: 1.5 s at 200 msgs/s (less what still waited at the stop)
    for (const r of [now, lingered, full]) expect(r.acked).toBeGreaterThan(200);
  });

  it('the scenario takes waitMs per workload and refuses a negative one, naming the field', async () => {
    const { parseScenario } = await import('../../model/scenario.js');
    const base = { nodes: [{ id: 1, availability: 99 }], dataset: { node: 1, records: 10 }, apps: [{ kind: 'stream', id: 1, topic: 't', costMs: 1, goal: { metric: 'latency', max: 1000 } }] };
    const w = { id: 'w', topic: 't', source: { kind: 'bloodtests' }, rate: 10 };
    expect(parseScenario({ ...base, workloads: [{ ...w, waitMs: 250 }] }).workloads[0].waitMs).toBe(250);
    expect(parseScenario({ ...base, workloads: [w] }).workloads[0].waitMs).toBe(0);
    expect(() => parseScenario({ ...base, workloads: [{ ...w, waitMs: -1 }] })).toThrow(/workloads\[0\]\.waitMs/);
  });
});
