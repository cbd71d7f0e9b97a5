/**
 * Chooses the message bus: Kafka when FOGSIM_KAFKA_BROKERS is set, else the embedded log.
 * Kafka's module (and kafkajs) loads only when it is used.
 */
import type { ISocketFactory } from 'kafkajs';
import { UserError } from '../model/errors.js';
import type { Logger } from '../util/logger.js';
import type { MessageBus } from './bus.js';
import { EmbeddedBus, type EmbeddedBusOptions } from './embedded-bus.js';

export interface OpenBusOptions {
  embedded?: EmbeddedBusOptions;
  socketFactory?: ISocketFactory;
  logger?: Logger;
  clientId?: string;
  autoCreatePartitions?: number;
  /** the brokers, as a session's configuration has them (empty: the embedded bus); unset: FOGSIM_KAFKA_BROKERS of `env` */
  brokers?: readonly string[];
}

/** The brokers of FOGSIM_KAFKA_BROKERS, each checked to be host:port; undefined when unset. */
export function readBrokers(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const list = (env.FOGSIM_KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!list.length) return undefined;
  for (const b of list) {
    const m = /^([^:\s]+):(\d+)$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UserError(`FOGSIM_KAFKA_BROKERS: "${b}" is not host:port; set it to a comma-separated list such as 127.0.0.1:19092`);
  }
  return list;
}

export async function openBus(opts: OpenBusOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<MessageBus> {
  const brokers = opts.brokers !== undefined ? (opts.brokers.length ? [...opts.brokers] : undefined) : readBrokers(env);
  if (!brokers) return new EmbeddedBus({ autoCreatePartitions: opts.autoCreatePartitions, ...opts.embedded });
  const { KafkaBus } = await import('./kafka-bus.js');
  return new KafkaBus({
    brokers,
    socketFactory: opts.socketFactory,
    logger: opts.logger,
    clientId: opts.clientId,
    autoCreatePartitions: opts.autoCreatePartitions,
    replication: env.FOGSIM_KAFKA_REPLICATION ? Number(env.FOGSIM_KAFKA_REPLICATION) : undefined,
  });
}
