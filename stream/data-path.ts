/**
 * The stream's data path (issue 19 item 1): the message bus lives on one node (scenario
 * `stream.busNode`), and a producer or a stream app's worker on node n reaches it over the link
 * between n and busNode, paying that link's latency, as the store holds it now (an edit in the
 * admin UI applies to the next send or delivered batch).
 *
 * - Kafka (FOGSIM_KAFKA_BROKERS): real. Each node gets its own Toxiproxy proxy in front of each
 *   broker (`<session>-stream-node-<id>`, like the app proxies of nodes/deps.ts), with a latency
 *   toxic of the link's latency, and its own kafkajs client whose socketFactory connects every
 *   broker address to that node's proxy. Before each send and each batch handed to a worker the
 *   node's link latency is read again and the toxic updated when it changed.
 * - Embedded (the in-process log): there is no socket to put a proxy in front of, so the latency
 *   is an emulated delay: a send resolves (is acknowledged) the link latency after the bus wrote
 *   it, and each batch is handed to the worker the link latency after the bus delivered it. As
 *   with the toxic (a latency on the proxy's downstream, the bus's answers), one request and its
 *   answer pay it once: the producer's acknowledgement, the consumer's fetch.
 * The node the bus is on pays 0 (a node's latency to itself); admin calls (topics, offsets) are
 * the controller's and pay nothing.
 */
import { connect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ISocketFactory } from 'kafkajs';
import type { Store } from '../db/store.js';
import { linkLatency, type Scenario } from '../model/scenario.js';
import { ensureAppProxy } from '../nodes/deps.js';
import type { LatencyControl } from '../proxies/latency-control.js';
import type { InfraConfig } from '../util/config.js';
import type { Logger } from '../util/logger.js';
import type { BatchHandler, BusConsumer, BusProducer, MessageBus, ProducerOptions, RunOptions, SendResult, StreamMessage, SubscribeOptions } from './bus.js';

/** The latency between a node and the bus's node now, ms. */
export type LatencyOf = (node: number) => Promise<number>;

/** From the store's links (what the admin UI edits); a pair the store does not know: the scenario's latency, else 0. */
export function storeLatency(store: Pick<Store, 'getLatency'>, busNode: number, fallback?: Pick<Scenario, 'links' | 'topology'>): LatencyOf {
  return async (node) => {
    if (node === busNode) return 0;
    const ms = await store.getLatency(node, busNode);
    if (ms !== undefined) return ms;
    return fallback ? linkLatency(fallback, node, busNode) : 0;
  };
}

/** From the scenario's links only (no store). */
export function scenarioLatency(s: Pick<Scenario, 'links' | 'topology'>, busNode: number): LatencyOf {
  return async (node) => (node === busNode ? 0 : linkLatency(s, node, busNode));
}

export interface DataPath {
  readonly kind: MessageBus['kind'];
  readonly busNode: number;
  /** how the latency is applied: `toxiproxy` (real, Kafka) or `emulated` (a delay, the embedded bus) or `none` */
  readonly latency: 'toxiproxy' | 'emulated' | 'none';
  /** the link latency between a node and the bus's node now, ms (what the path applies) */
  readonly latencyOf: LatencyOf;
  /** the bus as node `node` reaches it (made once per node) */
  busFor(node: number): Promise<MessageBus>;
  /** the proxies it made, by node (Kafka only) */
  proxies(): { node: number; name: string; listen: string; upstream: string }[];
  /** closes the per-node buses and removes the proxies; the shared bus is the caller's */
  close(): Promise<void>;
}

/** Every node reaches `bus` as it is, with no latency (a unit test, or one node). */
export function directPath(bus: MessageBus, busNode = 1): DataPath {
  return { kind: bus.kind, busNode, latency: 'none', latencyOf: async () => 0, busFor: async () => bus, proxies: () => [], close: async () => {} };
}

const sleep = (ms: number) => (ms >= 1 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

export interface PathHooks {
  /** before a send goes to the bus */
  beforeSend?(): Promise<void>;
  /** after the bus acknowledged a send, before the producer sees it */
  afterAck?(): Promise<void>;
  /** before a delivered batch goes to the handler */
  beforeBatch?(): Promise<void>;
}

/** `bus` with the hooks around each producer's sends and each consumer's batches; everything else passes through. */
export function hookedBus(bus: MessageBus, hooks: PathHooks): MessageBus {
  return {
    kind: bus.kind,
    createTopic: (name, partitions) => bus.createTopic(name, partitions),
    deleteTopic: (name) => bus.deleteTopic(name),
    partitions: (topic) => bus.partitions(topic),
    groupOffsets: (group, topic) => bus.groupOffsets(group, topic),
    producer(opts?: ProducerOptions): BusProducer {
      const p = bus.producer(opts);
      return {
        async send(topic: string, messages: StreamMessage[]): Promise<SendResult[]> {
          await hooks.beforeSend?.();
          const out = await p.send(topic, messages);
          await hooks.afterAck?.();
          return out;
        },
        close: () => p.close(),
      };
    },
    consumer(groupId: string, topic: string): BusConsumer {
      const c = bus.consumer(groupId, topic);
      return {
        subscribe: (opts?: SubscribeOptions) => c.subscribe(opts),
        run: (handler: BatchHandler, opts?: RunOptions) =>
          c.run(async (batch) => {
            await hooks.beforeBatch?.();
            await handler(batch);
          }, opts),
        commit: (offsets) => c.commit(offsets),
        assignment: () => c.assignment(),
        close: () => c.close(),
      };
    },
    close: () => bus.close(),
  };
}

/**
 * The embedded bus as node n reaches it: an emulated delay of the link latency (read anew each
 * time) on each acknowledgement and each delivered batch. The per-node views share the one bus;
 * closing a view does not close it.
 */
export function embeddedPath(bus: MessageBus, busNode: number, latencyOf: LatencyOf): DataPath {
  const views = new Map<number, MessageBus>();
  const emulatedDelay = (node: number) => async () => sleep(await latencyOf(node));
  return {
    kind: bus.kind,
    busNode,
    latency: 'emulated',
    latencyOf,
    async busFor(node) {
      let v = views.get(node);
      if (!v) {
        const delay = emulatedDelay(node);
        v = { ...hookedBus(bus, { afterAck: delay, beforeBatch: delay }), close: async () => {} };
        views.set(node, v);
      }
      return v;
    },
    proxies: () => [],
    close: async () => views.clear(),
  };
}

/** The Toxiproxy proxy of node `node` in front of broker `index` of `count`: `<session>-stream-node-<id>` (with `-b<index>` when there are several brokers). */
export function proxyNameForStream(session: string, node: number, index = 0, count = 1): string {
  return `${session}-stream-node-${node}${count > 1 ? `-b${index}` : ''}`;
}

/**
 * A kafkajs socketFactory that connects every broker address to a proxy: with one broker, every
 * address (the bootstrap one and whatever the broker advertises) goes to `proxies[0]`; with
 * several, an address goes to the proxy of the broker of that host:port, and one it does not know
 * is an error naming it (each broker needs its proxy).
 */
export function proxySocketFactory(brokers: readonly string[], proxies: readonly { host: string; port: number }[]): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const i = brokers.length === 1 ? 0 : brokers.indexOf(`${host}:${port}`);
    if (i < 0) throw new Error(`stream data path: broker ${host}:${port} is not in FOGSIM_KAFKA_BROKERS (${brokers.join(',')}), so no proxy stands in front of it; list every broker the cluster advertises`);
    const to = proxies[i]!;
    const socket = ssl
      ? tlsConnect({ host: to.host, port: to.port, ...(isIP(host) ? {} : { servername: host }), ...(typeof ssl === 'object' ? ssl : {}) }, onConnect)
      : connect({ host: to.host, port: to.port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}

export interface KafkaPathOptions {
  /** the shared bus (topics, offsets); the per-node buses are made here */
  brokers: string[];
  busNode: number;
  latencyOf: LatencyOf;
  control: LatencyControl;
  cfg: Pick<InfraConfig, 'session' | 'proxyHost' | 'proxyListenHost' | 'proxyBasePort'>;
  /** the brokers as the proxy server reaches them (default `brokers`) */
  upstreams?: string[];
  logger?: Logger;
  /** makes the bus of a node (default: a KafkaBus with the socketFactory); for tests */
  makeBus?(socketFactory: ISocketFactory, node: number): Promise<MessageBus>;
}

/**
 * Kafka as node n reaches it: through its proxies (made on first use, their latency toxic set
 * from the link), on a KafkaBus of its own. The toxic follows the link: before each send and each
 * batch the latency is read and, when it changed, set on the node's proxies.
 */
export function kafkaPath(o: KafkaPathOptions): DataPath {
  const upstreams = o.upstreams ?? o.brokers;
  const made = new Map<number, Promise<MessageBus>>();
  const proxies: { node: number; name: string; listen: string; upstream: string }[] = [];
  const buses: MessageBus[] = [];
  const make = async (node: number): Promise<MessageBus> => {
    const names = o.brokers.map((_, i) => proxyNameForStream(o.cfg.session, node, i, o.brokers.length));
    const addrs: { host: string; port: number }[] = [];
    for (let i = 0; i < names.length; i++) {
      const addr = await ensureAppProxy(names[i]!, o.control, o.cfg, upstreams[i]!);
      // a proxy listening on every interface is reached at the proxy server's host
      const host = o.cfg.proxyListenHost === o.cfg.proxyHost ? addr.host : o.cfg.proxyHost;
      addrs.push({ host, port: addr.port });
      proxies.push({ node, name: names[i]!, listen: `${host}:${addr.port}`, upstream: upstreams[i]! });
    }
    let set = -1;
    const sync = async () => {
      const ms = await o.latencyOf(node);
      if (ms === set) return;
      for (const n of names) await o.control.setLatency(n, ms);
      set = ms;
    };
    await sync();
    const factory = proxySocketFactory(o.brokers, addrs);
    const bus =
      (await o.makeBus?.(factory, node)) ??
      new (await import('./kafka-bus.js')).KafkaBus({ brokers: o.brokers, socketFactory: factory, logger: o.logger, clientId: `fogsim-stream-node-${node}` });
    buses.push(bus);
    return hookedBus(bus, { beforeSend: sync, beforeBatch: sync });
  };
  return {
    kind: 'kafka',
    busNode: o.busNode,
    latency: 'toxiproxy',
    latencyOf: o.latencyOf,
    busFor(node) {
      let b = made.get(node);
      if (!b) {
        b = make(node);
        made.set(node, b);
      }
      return b;
    },
    proxies: () => proxies.slice(),
    async close() {
      for (const b of buses) await b.close().catch(() => {});
      for (const p of proxies) await o.control.removeProxy(p.name).catch(() => {});
    },
  };
}
