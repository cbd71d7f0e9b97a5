import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDatabase } from '../helpers/mysql-scratch.js';
import { runExperiment } from '../../controller/experiment/experiment.js';
import { readInfraConfig } from '../../util/config.js';
import { KafkaTelemetrySubscriber } from '../../telemetry/kafka/index.js';
import type { TelemetryMessage } from '../../telemetry/bus.js';

const env = process.env;
const missing = ['FOGSIM_MYSQL_URL', 'FOGSIM_S3_ENDPOINT', 'FOGSIM_TOXIPROXY_URL', 'FOGSIM_KAFKA_BROKERS'].filter((v) => !env[v]);
if (missing.length && env.CI) throw new Error(`the real tier needs ${missing.join(', ')} (scripts/real/up.sh writes them); CI must not skip it`);
const suite = missing.length ? describe.skip : describe;

suite(`fogsim run with every role on its real server${missing.length ? ` (skipped: ${missing.join(', ')} not set; run scripts/real/up.sh)` : ''}`, () => {
  it('converges on MariaDB + MinIO + Toxiproxy, with telemetry over Kafka', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-e2e-'));
    const base = readInfraConfig(env);
    const cfg = { ...base, mysqlUrl: await scratchDatabase(base.mysqlUrl!, 'e2e'), dataDir: dir, sqlitePath: join(dir, 'unused.db') };
    // the controller side of telemetry: everything the nodes publish arrives here through the broker
    const seen: TelemetryMessage[] = [];
    const sub = new KafkaTelemetrySubscriber({ brokers: cfg.kafkaBrokers!, partitions: cfg.kafkaPartitions, replication: cfg.kafkaReplication });
    await sub.subscribe((m) => seen.push(m));
    try {
      const lines: string[] = [];
      const { report } = await runExperiment({
        scenarioFile: 'test/fixtures/thesis-fast.yaml',
        cfg,
        durationS: 150,
        reportFile: join(dir, 'report.json'),
        log: (l) => lines.push(l),
        nodeEntry: 'nodes/main.ts',
        nodeExecArgv: ['--import', 'tsx'],
      });
      expect(lines.join('\n')).toContain('SQL store: MySQL');
      expect(lines.join('\n')).toContain(`latency proxy: Toxiproxy ${cfg.toxiproxyUrl}`);
      expect(report.converged).toBe(true);
      const app1 = report.apps.find((a) => a.id === 1)!;
      expect(app1.violations).toBeGreaterThan(0);
      expect(app1.actions.length).toBeGreaterThan(0);
      for (const a of report.apps) expect(a.goalMet).toBe(true);
      // telemetry: the runs of every app came through Kafka
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && new Set(seen.filter((m) => m.topic === 'runs').map((m) => m.key)).size < 3) await new Promise((r) => setTimeout(r, 200));
      expect(new Set(seen.filter((m) => m.topic === 'runs').map((m) => m.key))).toEqual(new Set(['1', '2', '3']));
      expect(seen.some((m) => m.topic === 'events' && m.key === '1')).toBe(true);
    } finally {
      await sub.close();
    }
  }, 300_000);
});
