import Table from 'cli-table3';
import type { Acks } from '../../stream/bus.js';
import { openBus } from '../../stream/open.js';
import { readInfraConfig } from '../../util/config.js';
import { GRID_BATCHES, GRID_PARTITIONS, runPublishBench, type PublishBenchOptions, type PublishBenchResult } from '../../stream/publish-bench.js';
import { parseDurationS } from '../commands/options.js';

export interface PublishFlags {
  producers: number;
  rate: number;
  batch: number;
  partitions: number;
  acks: '0' | '1' | '-1' | 'all';
  duration: string;
  size: number;
  grid?: boolean;
  json?: boolean;
}

export async function publish(flags: PublishFlags): Promise<void> {
  const base: PublishBenchOptions = {
    producers: flags.producers,
    rate: flags.rate,
    batch: flags.batch,
    partitions: flags.partitions,
    acks: (flags.acks === 'all' ? -1 : Number(flags.acks)) as Acks,
    durationS: parseDurationS(flags.duration),
    messageBytes: flags.size,
  };
  // a malformed FOGSIM_KAFKA_BROKERS fails before anything runs
  const cfg = readInfraConfig();
  const brokers = cfg.kafkaBrokers;
  // the benchmark publishes only: a small retention keeps the embedded log's memory low
  const bus = await openBus({ embedded: { retention: 10_000 }, clientId: 'fogsim-bench', brokers: brokers ?? [], replication: cfg.kafkaReplication });
  try {
    if (!flags.grid) {
      const r = await runPublishBench(bus, base);
      console.log(flags.json ? JSON.stringify(r, null, 2) : describe(r, brokers));
      return;
    }
    const rows: PublishBenchResult[] = [];
    for (const batch of GRID_BATCHES) {
      for (const partitions of GRID_PARTITIONS) {
        if (!flags.json) process.stderr.write(`fogsim bench: batch ${batch}, partitions ${partitions}...\n`);
        rows.push(await runPublishBench(bus, { ...base, batch, partitions }));
      }
    }
    console.log(flags.json ? JSON.stringify(rows, null, 2) : gridTable(rows, brokers));
  } finally {
    await bus.close();
  }
}

function where(r: PublishBenchResult, brokers?: string[]): string {
  return r.bus === 'kafka' ? `Kafka at ${brokers?.join(',')}` : 'the embedded bus';
}

function describe(r: PublishBenchResult, brokers?: string[]): string {
  const t = new Table({ head: ['producer', 'messages', 'msgs/s', 'MB/s', 'p50 ms', 'p99 ms', 'max ms'] });
  const row = (name: string, x: PublishBenchResult['total']) => [name, x.messages, x.messagesPerS, x.mbPerS, x.latencyMs.p50, x.latencyMs.p99, x.latencyMs.max];
  for (const p of r.perProducer) t.push(row(String(p.producer), p));
  t.push(row('total', r.total));
  const rate = r.targetRate ? `${r.targetRate} msgs/s target` : 'as fast as acks come';
  return `publish to ${where(r, brokers)}: ${r.producers} producer(s), ${rate}, batch ${r.batch}, ${r.partitions} partition(s), acks ${r.acks}, ${r.messageBytes} B messages, ${r.elapsedS} s\n${t.toString()}`;
}

function gridTable(rows: PublishBenchResult[], brokers?: string[]): string {
  const t = new Table({ head: ['batch', 'partitions', 'msgs/s', 'MB/s', 'p50 ms', 'p99 ms'] });
  for (const r of rows) t.push([r.batch, r.partitions, r.total.messagesPerS, r.total.mbPerS, r.total.latencyMs.p50, r.total.latencyMs.p99]);
  const r = rows[0];
  const rate = r.targetRate ? `${r.targetRate} msgs/s target` : 'as fast as acks come';
  return `publish grid on ${where(r, brokers)}: ${r.producers} producer(s), ${rate}, acks ${r.acks}, ${r.messageBytes} B messages, ${r.durationS} s per cell\n${t.toString()}`;
}
