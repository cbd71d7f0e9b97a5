/**
 * What the Kafka producer, consumer and topic admin share: the options every role takes, the
 * kafkajs client with fogsim's fail-fast timeouts, and kafkajs logging through our logger.
 */
import { Kafka, logLevel, type ISocketFactory, type LogEntry } from 'kafkajs';
import { UnavailableError } from '../../model/errors.js';
import type { Logger } from '../../util/logger.js';

export interface KafkaCommonOptions {
  brokers: string[];
  clientId?: string;
  /** topic names are `<prefix>.runs` etc.; default `fogsim` */
  topicPrefix?: string;
  /** for topic creation (InfraConfig.kafkaPartitions / kafkaReplication) */
  partitions?: number;
  replication?: number;
  logger?: Logger;
  /** how connections to the brokers are opened, e.g. through a node's latency proxy; default kafkajs's plain TCP */
  socketFactory?: ISocketFactory;
}

/**
 * kafkajs logs through our pino logger, one level quieter: during an outage it reports every
 * failed connection as ERROR, while the publisher already says, once and plainly, that it is
 * buffering. Its INFO chatter (group joins, consumer starts) goes to debug.
 */
export function kafkaLogCreator(log: Logger) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry as LogEntry['log'] & { logger?: unknown };
      const fields = { kafkajs: namespace, ...rest };
      if (level === logLevel.ERROR) log.warn(fields, message);
      else if (level === logLevel.WARN || level === logLevel.INFO) log.debug(fields, message);
      else log.trace(fields, message);
    };
}

/** kafkajs only builds log entries at or above this level, so a quiet logger costs nothing. */
function kafkaLevelFor(log: Logger): logLevel {
  if (log.isLevelEnabled('trace')) return logLevel.DEBUG;
  if (log.isLevelEnabled('debug')) return logLevel.INFO;
  if (log.isLevelEnabled('warn')) return logLevel.ERROR;
  return logLevel.NOTHING;
}

export function createKafkaClient(o: KafkaCommonOptions, log: Logger, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: o.brokers,
    // Fail fast: the publisher has its own reconnect loop with backoff and buffering, and
    // a node must notice an outage in seconds, not after kafkajs's default ~30 s of retries.
    connectionTimeout: 1500,
    requestTimeout: 5000,
    retry: { initialRetryTime: 150, retries: 2, maxRetryTime: 1000 },
    logLevel: kafkaLevelFor(log),
    logCreator: kafkaLogCreator(log),
    ...(o.socketFactory ? { socketFactory: o.socketFactory } : {}),
  });
}

/**
 * A failure to reach the brokers (kafkajs's connection error, alone or as the cause of its
 * retries running out) as an UnavailableError naming them and the fix (`otherwise`: the way on
 * without Kafka); any other error as it is.
 */
export function unreachableBrokers(e: unknown, brokers: string[], otherwise = 'unset FOGSIM_KAFKA_BROKERS to carry telemetry over IPC'): unknown {
  const err = e as { name?: string; message?: string; cause?: { name?: string } } | null;
  const refused = err?.name === 'KafkaJSConnectionError' || err?.cause?.name === 'KafkaJSConnectionError' || err?.name === 'KafkaJSBrokerNotFound';
  if (!refused) return e;
  return new UnavailableError(
    `Kafka at ${brokers.join(',')} (FOGSIM_KAFKA_BROKERS) is not reachable (${err?.message ?? String(e)}): start it (scripts/real/kafka.sh start) or ${otherwise}`,
    { cause: e },
  );
}
