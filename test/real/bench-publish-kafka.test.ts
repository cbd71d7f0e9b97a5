import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';

/*
 * `fogsim bench publish --grid` on real Kafka (issue 19): the table of batch sizes 1, 100, 1000
 * x partitions 1, 10, as the README and bench/RESULTS.md show it for the embedded bus, with
 * FOGSIM_KAFKA_BROKERS pointing at scripts/real/kafka.sh's broker. Short cells: this checks that
 * every cell runs on the broker and reports sane figures; bench/RESULTS.md keeps full-length ones.
 */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const brokers = process.env.FOGSIM_KAFKA_BROKERS;

if (!brokers && process.env.CI) {
  describe('fogsim bench publish on real Kafka', () => {
    it('has FOGSIM_KAFKA_BROKERS in CI', () => {
      throw new Error('CI is set but FOGSIM_KAFKA_BROKERS is not: run scripts/real/up.sh and source $FOGSIM_REAL_DIR/env.sh before npm run test:real');
    });
  });
}

interface Cell {
  bus: string;
  batch: number;
  partitions: number;
  total: { messages: number; messagesPerS: number; mbPerS: number; latencyMs: { p50: number; p99: number } };
}

describe.skipIf(!brokers)('fogsim bench publish on real Kafka (skipped: FOGSIM_KAFKA_BROKERS unset)', () => {
  it('--grid runs batch 1, 100, 1000 x partitions 1, 10 on the broker, as JSON and as a table', async () => {
    const env = isolatedEnv({ FOGSIM_KAFKA_BROKERS: brokers });
    const json = await run(process.execPath, ['bin/fogsim.js', 'bench', 'publish', '--grid', '--duration', '0.5', '--json'], { cwd: root, env, timeout: 120_000 });
    const cells = JSON.parse(json.stdout) as Cell[];
    expect(cells.map((c) => `${c.batch}x${c.partitions}`)).toEqual(['1x1', '1x10', '100x1', '100x10', '1000x1', '1000x10']);
    for (const c of cells) {
      expect(c.bus, `${c.batch}x${c.partitions}`).toBe('kafka');
      expect(c.total.messages).toBeGreaterThan(0);
      expect(c.total.latencyMs.p99).toBeGreaterThanOrEqual(c.total.latencyMs.p50);
    }
    // batching is what the broker rewards: 100 a request moves more than 1 a request
    const rate = (b: number, p: number) => cells.find((c) => c.batch === b && c.partitions === p)!.total.messagesPerS;
    expect(rate(100, 1)).toBeGreaterThan(rate(1, 1));
    const table = await run(process.execPath, ['bin/fogsim.js', 'bench', 'publish', '--grid', '--duration', '0.3'], { cwd: root, env, timeout: 120_000 });
    process.stdout.write(table.stdout);
    expect(table.stdout).toMatch(/batch/);
    expect(table.stdout.split('\n').filter((l) => /\b1000\b.*\b10\b/.test(l)).length).toBeGreaterThan(0);
  }, 300_000);
});
