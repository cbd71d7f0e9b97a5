import type { Command } from 'commander';
import type { PublishFlags } from '../actions/bench.js';
import { choiceOption, intOption } from './options.js';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks of the parts fogsim streams through');
  bench
    .command('publish')
    .description('publish throughput and latency of the message bus (the embedded log, or Kafka when FOGSIM_KAFKA_BROKERS is set): N producers at a target rate; messages/s, MB/s, publish latency p50/p99 (send to ack) per producer and in total')
    .option('--producers <n>', 'producers, each its own bus producer (1-256)', intOption(1, 256), 1)
    .option('--rate <msgs/s>', 'target messages/s of all producers together, shared evenly; 0: as fast as acks come (0-100000000)', intOption(0, 100_000_000), 0)
    .option('--batch <n>', 'messages per send (1-100000)', intOption(1, 100_000), 100)
    .option('--partitions <n>', 'partitions of the benchmark topic (1-1000)', intOption(1, 1000), 1)
    .option('--acks <acks>', 'acknowledgement awaited: 0 none, 1 the leader, -1 (or all) every in-sync replica', choiceOption(['0', '1', '-1', 'all'] as const), '-1')
    .option('--duration <time>', 'how long each run publishes (3, 3s, 1m)', '10')
    .option('--size <bytes>', 'bytes of each message (1-10000000)', intOption(1, 10_000_000), 100)
    .option('--grid', 'sweep --batch 1,100,1000 x --partitions 1,10 (each for --duration) and print a table')
    .option('--json', 'print the result as JSON')
    .action(async (flags: PublishFlags) => (await import('../actions/bench.js')).publish(flags));
}
