/**
 * The message bus contract: the same tests against the embedded partitioned log (always) and a
 * real Kafka (when FOGSIM_KAFKA_BROKERS is set, e.g. by scripts/real/kafka.sh). The Kafka bus
 * connects through a local TCP forwarder given as its socketFactory, as a node's proxy would be,
 * which also lets the test take the bus away from under a producer.
 */
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { UnavailableError, UserError } from '../../model/errors.js';
import { partitionFor, type BusConsumer, type ConsumedMessage, type MessageBus, type StreamMessage } from '../../stream/bus.js';
import { EmbeddedBus } from '../../stream/embedded-bus.js';
import { KafkaBus } from '../../stream/kafka-bus.js';
import { readKafkaBrokers } from '../../util/config.js';
import { waitFor } from '../telemetry/helpers.js';

const BROKERS = readKafkaBrokers();
// CI's real tier starts Kafka: there a missing broker is a broken setup, never a silent skip
if (!BROKERS && process.env.CI && process.env.FOGSIM_REAL) throw new Error('CI with FOGSIM_REAL=1: FOGSIM_KAFKA_BROKERS is not set; run scripts/real/up.sh and source $FOGSIM_REAL_DIR/env.sh');

interface Target {
  /** a bus of this kind; every call gives a new client of the same store of topics */
  open(): Promise<MessageBus>;
  /** a bus of its own, which goAway may take away without harm to the other tests */
  openAlone(): Promise<MessageBus>;
  /** takes the bus away from `bus` (its server, or its connection, is gone) */
  goAway(bus: MessageBus): Promise<void>;
  /** the longest a group join, a rebalance or a delivery may take here */
  patienceMs: number;
  close(): Promise<void>;
}

interface Got extends ConsumedMessage {
  member: string;
}

function contract(name: string, makeTarget: () => Promise<Target>): void {
  describe(name, () => {
    let target: Target;
    let bus: MessageBus;
    const tag = randomUUID().slice(0, 8);
    const topics: string[] = [];
    const consumers: BusConsumer[] = [];
    const topic = async (what: string, partitions: number): Promise<string> => {
      const t = `fogsim-ct-${tag}-${what}`;
      topics.push(t);
      await bus.createTopic(t, partitions);
      return t;
    };
    /** a member of `group` that records what it gets in `into` */
    const member = async (group: string, t: string, id: string, into: Got[], fromBeginning = true, other: MessageBus = bus): Promise<BusConsumer> => {
      const c = other.consumer(group, t);
      consumers.push(c);
      await c.subscribe({ fromBeginning });
      await c.run((b) => {
        for (const m of b.messages) into.push({ ...m, member: id });
      });
      return c;
    };
    const msgs = (n: number, keyOf: (i: number) => string | undefined, from = 0): StreamMessage[] =>
      Array.from({ length: n }, (_, i) => ({ key: keyOf(from + i), value: `v${from + i}`, timestampMs: 1_700_000_000_000 + from + i }));
    const uniq = (got: Got[]) => new Set(got.map((m) => `${m.partition}:${m.offset}`));

    beforeAll(async () => {
      target = await makeTarget();
      bus = await target.open();
    });
    afterAll(async () => {
      for (const c of consumers) await c.close().catch(() => {});
      for (const t of topics) await bus.deleteTopic(t).catch(() => {});
      await bus?.close();
      await target?.close();
    });

    it('keeps order within a partition and places a key always on hash(key) % partitions; no key: round-robin', async () => {
      const t = await topic('order', 3);
      expect(await bus.partitions(t)).toBe(3);
      const p = bus.producer({ acks: -1, batch: 7 });
      const sent: { key?: string; partition: number; offset: number }[] = [];
      for (let round = 0; round < 5; round++) {
        const batch = msgs(40, (i) => `k${i % 10}`, round * 40);
        const res = await p.send(t, batch);
        expect(res).toHaveLength(40);
        res.forEach((r, i) => sent.push({ key: batch[i].key, ...r }));
      }
      for (const s of sent) expect(s.partition).toBe(partitionFor(s.key!, 3));
      // offsets rise in send order within each partition, without gaps
      for (let q = 0; q < 3; q++) {
        const offs = sent.filter((s) => s.partition === q).map((s) => s.offset);
        expect(offs).toEqual(offs.map((_, i) => offs[0] + i));
      }
      const rr = await p.send(t, msgs(6, () => undefined, 1000));
      expect(rr.map((r) => r.partition).sort()).toEqual([0, 0, 1, 1, 2, 2]);

      const got: Got[] = [];
      await member(`g-order-${tag}`, t, 'a', got);
      await waitFor(() => got.length >= 206, target.patienceMs, '206 messages');
      for (let q = 0; q < 3; q++) {
        const offs = got.filter((m) => m.partition === q).map((m) => m.offset);
        expect(offs).toEqual([...offs].sort((a, b) => a - b));
      }
      // each key's messages arrive in the order they were sent, all on its partition
      for (let k = 0; k < 10; k++) {
        const mine = got.filter((m) => m.key === `k${k}`);
        expect(mine).toHaveLength(20);
        expect(new Set(mine.map((m) => m.partition))).toEqual(new Set([partitionFor(`k${k}`, 3)]));
        const seq = mine.map((m) => Number(m.value.toString().slice(1)));
        expect(seq).toEqual([...seq].sort((a, b) => a - b));
      }
      expect(got.find((m) => m.value.toString() === 'v1003')?.timestampMs).toBe(1_700_000_001_003);
      await p.close();
    });

    it('splits partitions among the members of a group, and gives a leaving member’s to the others', async () => {
      const t = await topic('split', 4);
      const group = `g-split-${tag}`;
      const got: Got[] = [];
      const a = await member(group, t, 'a', got);
      const b = await member(group, t, 'b', got);
      await waitFor(() => a.assignment().length + b.assignment().length === 4 && a.assignment().length > 0 && b.assignment().length > 0, target.patienceMs, 'both members to hold partitions');
      expect([...a.assignment(), ...b.assignment()].sort()).toEqual([0, 1, 2, 3]);

      const p = bus.producer({ acks: 1 });
      const acked1 = await p.send(t, msgs(200, (i) => `user-${i}`));
      await waitFor(() => uniq(got).size >= 200, target.patienceMs, '200 messages across the group');
      const owner = new Map<number, Set<string>>();
      for (const m of got) owner.set(m.partition, (owner.get(m.partition) ?? new Set()).add(m.member));
      for (const [, who] of owner) expect(who.size).toBe(1); // one member per partition
      expect(new Set(got.map((m) => m.member))).toEqual(new Set(['a', 'b']));
      for (const m of got) expect((m.member === 'a' ? a : b).assignment()).toContain(m.partition);

      await b.close();
      await waitFor(() => a.assignment().length === 4, target.patienceMs, 'the rebalance after b left');
      const before = got.length;
      const acked2 = await p.send(t, msgs(200, (i) => `user-${i}`, 200));
      await waitFor(() => uniq(got).size >= 400, target.patienceMs, '400 messages');
      const after = got.slice(before);
      expect(new Set(after.map((m) => m.member))).toEqual(new Set(['a']));
      expect(new Set(after.map((m) => m.partition)).size).toBe(4);
      // nothing acknowledged went missing through the rebalance
      const seen = uniq(got);
      for (const r of [...acked1, ...acked2]) expect(seen.has(`${r.partition}:${r.offset}`)).toBe(true);
      await p.close();
    });

    it('a restarted consumer resumes from the offsets its group committed', async () => {
      const t = await topic('resume', 2);
      const group = `g-resume-${tag}`;
      const p = bus.producer();
      await p.send(t, msgs(100, (i) => `k${i}`));
      const first: Got[] = [];
      const c1 = await member(group, t, 'c1', first);
      await waitFor(() => first.length >= 100, target.patienceMs, 'the first 100');
      await c1.close();

      await p.send(t, msgs(50, (i) => `k${i}`, 100));
      const second: Got[] = [];
      // a new client, as a restarted process would open
      const other = await target.open();
      try {
        await member(group, t, 'c2', second, true, other);
        await waitFor(() => second.length >= 50, target.patienceMs, 'the next 50');
        await new Promise((r) => setTimeout(r, 300)); // anything redelivered would come now
        expect(second.map((m) => m.value.toString()).sort()).toEqual(msgs(50, () => undefined, 100).map((m) => String(m.value)).sort());
        for (const q of [0, 1]) {
          const last1 = Math.max(...first.filter((m) => m.partition === q).map((m) => m.offset));
          const first2 = Math.min(...second.filter((m) => m.partition === q).map((m) => m.offset));
          expect(first2).toBe(last1 + 1);
        }
      } finally {
        for (const c of consumers.splice(0)) await c.close().catch(() => {});
        if (other !== bus) await other.close(); // the embedded bus has one client per process: the shared one
      }
      await p.close();
    });

    it('explicit commits: with autoCommit off only what commit() covered is skipped after a restart', async () => {
      const t = await topic('manual', 1);
      const group = `g-manual-${tag}`;
      const p = bus.producer();
      await p.send(t, msgs(30, () => undefined));
      const c1 = bus.consumer(group, t);
      consumers.push(c1);
      await c1.subscribe({ fromBeginning: true });
      const got1: ConsumedMessage[] = [];
      await c1.run((b) => void got1.push(...b.messages), { autoCommit: false });
      await waitFor(() => got1.length >= 30, target.patienceMs, '30 messages');
      await c1.commit([{ partition: 0, offset: 10 }]);
      await c1.close();
      const got2: Got[] = [];
      await member(group, t, 'c2', got2);
      await waitFor(() => got2.length >= 20, target.patienceMs, 'the 20 after the commit');
      expect(got2[0].offset).toBe(10);
      await p.close();
    });

    it('no acknowledged message is lost: acked = consumed, over concurrent producers, batches and acks', async () => {
      const t = await topic('noloss', 5);
      const got: Got[] = [];
      await member(`g-noloss-${tag}`, t, 'a', got);
      const producers = [bus.producer({ acks: -1, batch: 50 }), bus.producer({ acks: 1, batch: 1 }), bus.producer({ acks: -1, batch: 1000 })];
      const acked = await Promise.all(
        producers.map(async (p, k) => {
          const all = [];
          for (let r = 0; r < 6; r++) all.push(...(await p.send(t, msgs(50, (i) => (i % 3 === 0 ? undefined : `p${k}-${i % 17}`), k * 10_000 + r * 50))));
          return all;
        }),
      );
      const flat = acked.flat();
      expect(flat).toHaveLength(900);
      await waitFor(() => uniq(got).size >= 900, target.patienceMs, '900 messages');
      await new Promise((r) => setTimeout(r, 200));
      expect(uniq(got).size).toBe(flat.length);
      const seen = uniq(got);
      for (const r of flat) expect(seen.has(`${r.partition}:${r.offset}`)).toBe(true);
      for (const p of producers) await p.close();
    });

    it('a topic that does not exist is a UserError naming it and the fix', async () => {
      const missing = `fogsim-ct-${tag}-missing`;
      const p = bus.producer();
      const err = await p.send(missing, msgs(1, () => 'k')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain(`topic ${missing} does not exist`);
      expect((err as Error).message).toContain('createTopic');
      await expect(bus.consumer('g', missing).subscribe()).rejects.toThrow(/does not exist/);
      await expect(bus.createTopic('bad name!', 1)).rejects.toThrow(UserError);
      const t = await topic('count', 2);
      await expect(bus.createTopic(t, 3)).rejects.toThrow(/exists with 2 partitions, not 3/);
      await bus.createTopic(t, 2); // the same count again is fine
      await p.close();
    });

    it('a bus that goes away fails sends with an UnavailableError, in seconds, not a hang', async () => {
      const own = await target.openAlone();
      const t = `fogsim-ct-${tag}-away`;
      topics.push(t);
      await own.createTopic(t, 1);
      const p = own.producer({ timeoutMs: 5000 });
      expect(await p.send(t, msgs(3, () => 'k'))).toHaveLength(3);
      await target.goAway(own);
      const t0 = Date.now();
      const err = await p.send(t, msgs(1, () => 'k')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toMatch(/bus is closed|Kafka at \S+ \(FOGSIM_KAFKA_BROKERS\)/);
      expect(Date.now() - t0).toBeLessThan(20_000);
      await own.close();
    }, 60_000);
  });
}

contract('embedded bus', async () => ({
  open: async () => shared,
  openAlone: async () => new EmbeddedBus(),
  goAway: async (b) => b.close(),
  patienceMs: 5000,
  close: async () => {},
}));
// One store of topics across "clients": the embedded bus lives in one process.
const shared = new EmbeddedBus({ retention: 10_000 });

/** A TCP forwarder to one broker, which the test can cut. */
async function forwarder(to: string): Promise<{ port: number; cut(): Promise<void>; close(): Promise<void> }> {
  const [host, port] = to.split(':');
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const out = connect(Number(port), host);
    for (const s of [inbound, out]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    inbound.pipe(out).pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const cut = async () => {
    // close() calls back only once every connection ended: destroy them first
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return { port: (server.address() as { port: number }).port, cut, close: () => cut().catch(() => {}) };
}

describe.skipIf(!BROKERS)('real Kafka (skipped: FOGSIM_KAFKA_BROKERS unset; run scripts/real/kafka.sh start and export FOGSIM_KAFKA_BROKERS=127.0.0.1:19092)', () => {
  const forwarders: { close(): Promise<void> }[] = [];
  const cuts = new Map<MessageBus, () => Promise<void>>();
  const open = async (): Promise<MessageBus> => {
      // every broker connection (bootstrap and the advertised leader) goes through its own forwarder
      const f = await forwarder(BROKERS![0]);
      forwarders.push(f);
      const bus = new KafkaBus({
        brokers: BROKERS!,
        logger: pino({ level: 'silent' }),
        socketFactory: ({ onConnect }) => connect(f.port, '127.0.0.1', onConnect),
        requestTimeoutMs: 8000,
        joinTimeoutMs: 30_000,
        sessionTimeoutMs: 6000,
      });
      cuts.set(bus, f.cut);
      return bus;
  };
  contract('kafka bus', async () => ({
    open,
    openAlone: open,
    goAway: async (b) => cuts.get(b)!(),
    patienceMs: 30_000,
    close: async () => {
      for (const f of forwarders) await f.close();
    },
  }));
});
