import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';

/** `fogsim bench publish` on the embedded bus (isolatedEnv drops FOGSIM_KAFKA_BROKERS): its JSON, and its flag errors. */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

async function fogsim(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, timeout: 60_000, env: isolatedEnv() });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('fogsim bench publish', () => {
  it('publishes for --duration with N producers and prints throughput and latency as JSON', async () => {
    const r = await fogsim('bench', 'publish', '--producers', '2', '--rate', '4000', '--batch', '10', '--partitions', '3', '--acks', '-1', '--duration', '1.5', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ bus: 'embedded', producers: 2, targetRate: 4000, batch: 10, partitions: 3, acks: -1, durationS: 1.5, messageBytes: 100 });
    expect(j.elapsedS).toBeGreaterThanOrEqual(1.5);
    expect(j.perProducer).toHaveLength(2);
    for (const t of [j.total, ...j.perProducer]) {
      expect(Object.keys(t)).toEqual(expect.arrayContaining(['messages', 'bytes', 'messagesPerS', 'mbPerS', 'latencyMs']));
      expect(t.messages).toBeGreaterThan(0);
      expect(t.bytes).toBe(t.messages * 100);
      expect(t.latencyMs.p99).toBeGreaterThanOrEqual(t.latencyMs.p50);
    }
    // paced: about the target (the machine may be slow, never much faster)
    expect(j.total.messagesPerS).toBeLessThanOrEqual(4400);
    expect(j.total.messagesPerS).toBeGreaterThan(1000);
    expect(j.total.messages).toBe(j.perProducer[0].messages + j.perProducer[1].messages);
    expect(j.total.mbPerS).toBeCloseTo(j.total.bytes / 1e6 / j.elapsedS, 2);
  });

  it('--grid --json runs batch 1,100,1000 x partitions 1,10', async () => {
    const r = await fogsim('bench', 'publish', '--grid', '--duration', '0.2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { batch: number; partitions: number; total: { messagesPerS: number } }[];
    expect(rows.map((x) => `${x.batch}x${x.partitions}`)).toEqual(['1x1', '1x10', '100x1', '100x10', '1000x1', '1000x10']);
    for (const x of rows) expect(x.total.messagesPerS).toBeGreaterThan(0);
  });

  it('a bad flag exits 1 naming the flag and its range', async () => {
    for (const [args, pattern] of [
      [['--batch', '0'], /--batch <n>.*expected a number from 1 to 100000, got 0/],
      [['--producers', '300'], /--producers <n>.*expected a number from 1 to 256, got 300/],
      [['--acks', '2'], /--acks <acks>.*expected one of 0, 1, -1, all, got "2"/],
      [['--rate', 'fast'], /--rate <msgs\/s>.*expected a whole number, got "fast"/],
      [['--duration', 'soon'], /--duration: expected a duration/],
    ] as const) {
      const r = await fogsim('bench', 'publish', ...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(pattern);
    }
  });

  it('a malformed FOGSIM_KAFKA_BROKERS is a user error naming it', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'bench', 'publish', '--duration', '1'], { cwd: root, env: isolatedEnv({ FOGSIM_KAFKA_BROKERS: 'nohost' }) }).catch((e) => e as { code: number; stderr: string });
    expect((r as { code: number }).code).toBe(1);
    expect((r as { stderr: string }).stderr).toMatch(/FOGSIM_KAFKA_BROKERS: "nohost" is not host:port/);
  });
});
