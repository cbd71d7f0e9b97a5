/** What the embedded bus adds to the contract: Kafka's key placement, bounded memory, handler retries. */
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { assignPartitions, partitionFor, placeMessages } from '../../stream/bus.js';
import { EmbeddedBus } from '../../stream/embedded-bus.js';
import type { ConsumedMessage } from '../../stream/bus.js';
import { waitFor } from '../telemetry/helpers.js';

describe('placement', () => {
  it("puts a key on the partition Kafka's default partitioner picks (murmur2)", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const n of [1, 3, 10, 64]) {
      const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
      for (const key of ['a', 'ab', 'abc', 'abcd', 'user-42', 'ünïcødé', '', 'x'.repeat(101)]) {
        expect(partitionFor(key, n), `${key} of ${n}`).toBe(kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } }));
      }
    }
  });

  it('sends keyless messages round-robin, carrying the counter across sends', () => {
    const a = placeMessages([{ value: '', timestampMs: 0 }, { value: '', timestampMs: 0 }], 3, 0);
    expect(a.placed).toEqual([0, 1]);
    expect(placeMessages([{ value: '', timestampMs: 0 }, { value: '', timestampMs: 0 }], 3, a.next).placed).toEqual([2, 0]);
  });

  it('assigns partitions round-robin to the members in join order', () => {
    expect(assignPartitions(5, 2)).toEqual([[0, 2, 4], [1, 3]]);
    expect(assignPartitions(2, 3)).toEqual([[0], [1], []]);
  });
});

describe('embedded bus', () => {
  it('keeps at most `retention` messages per partition; a consumer behind them skips to the oldest kept', async () => {
    const bus = new EmbeddedBus({ retention: 100 });
    await bus.createTopic('r', 1);
    const p = bus.producer();
    const res = await p.send('r', Array.from({ length: 250 }, (_, i) => ({ value: `v${i}`, timestampMs: i })));
    expect(res[249].offset).toBe(249); // offsets go on; only the storage is bounded
    const got: ConsumedMessage[] = [];
    const c = bus.consumer('g', 'r');
    await c.subscribe({ fromBeginning: true });
    await c.run((b) => void got.push(...b.messages));
    await waitFor(() => got.length >= 100, 2000, '100 kept messages');
    expect(got[0].offset).toBe(150);
    expect(got.map((m) => m.value.toString())).toEqual(Array.from({ length: 100 }, (_, i) => `v${150 + i}`));
    await bus.close();
  });

  it('without fromBeginning a new group reads only what comes after it joined', async () => {
    const bus = new EmbeddedBus();
    await bus.createTopic('l', 2);
    const p = bus.producer();
    await p.send('l', [{ value: 'old', timestampMs: 0 }]);
    const got: string[] = [];
    const c = bus.consumer('g', 'l');
    await c.subscribe();
    await c.run((b) => void got.push(...b.messages.map((m) => m.value.toString())));
    await p.send('l', [{ value: 'new', timestampMs: 1 }]);
    await waitFor(() => got.length >= 1, 2000, 'the new message');
    expect(got).toEqual(['new']);
    await bus.close();
  });

  it('hands a batch whose handler threw over again, and commits only once it went through', async () => {
    const errors: unknown[] = [];
    const bus = new EmbeddedBus({ retryMs: 10, onHandlerError: (e) => errors.push(e) });
    await bus.createTopic('e', 1);
    await bus.producer().send('e', [{ value: 'x', timestampMs: 0 }]);
    let calls = 0;
    const c = bus.consumer('g', 'e');
    await c.subscribe({ fromBeginning: true });
    await c.run(() => {
      if (++calls < 3) throw new Error('not yet');
    });
    await waitFor(() => calls >= 3, 2000, 'three attempts');
    expect(errors).toHaveLength(2);
    await c.close();
    // a later member of the group starts after it: the batch was committed once it succeeded
    const seen: number[] = [];
    const d = bus.consumer('g', 'e');
    await d.subscribe({ fromBeginning: true });
    await d.run((b) => void seen.push(...b.messages.map((m) => m.offset)));
    await bus.producer().send('e', [{ value: 'y', timestampMs: 1 }]);
    await waitFor(() => seen.length >= 1, 2000, 'the next message');
    expect(seen).toEqual([1]);
    await bus.close();
  });

  it('wakes no one and throws no one after close; the bus says it is closed', async () => {
    const bus = new EmbeddedBus();
    await bus.createTopic('c', 1);
    const c = bus.consumer('g', 'c');
    await c.subscribe();
    await c.run(() => {});
    await bus.close(); // returns although the consumer was waiting for messages
    expect(() => bus.producer()).toThrow(/embedded message bus is closed/);
  });
});
