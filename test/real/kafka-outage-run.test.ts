import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scratchDatabase } from '../helpers/mysql-scratch.js';
import { describe, expect, it } from 'vitest';
import { startSession } from '../../controller/session.js';
import type { NodeStatus } from '../../controller/runtime/runtime.js';
import type { RunRow } from '../../model/types.js';
import { KafkaTelemetrySubscriber } from '../../telemetry/kafka/index.js';
import { readInfraConfig } from '../../util/config.js';
import { captureLogger, waitFor } from '../telemetry/helpers.js';

/*
 * The "must show": a fogsim session on every real server (MariaDB, MinIO, Toxiproxy,
 * Kafka) with its node processes, the Kafka broker stopped in the middle and restarted.
 * No node crashes, the nodes keep running and writing runs to the store while Kafka is away,
 * telemetry resumes, and every run in the store also arrives as telemetry (nothing missing).
 */
const run = promisify(execFile);
const env = process.env;
const missing = ['FOGSIM_MYSQL_URL', 'FOGSIM_S3_ENDPOINT', 'FOGSIM_TOXIPROXY_URL', 'FOGSIM_KAFKA_BROKERS'].filter((v) => !env[v]);
const scriptBroker = env.FOGSIM_KAFKA_BROKERS === '127.0.0.1:19092';
const scriptEnv = { ...env, FOGSIM_KAFKA_START_TIMEOUT: env.FOGSIM_KAFKA_START_TIMEOUT ?? '240' };

if (missing.length && env.CI) {
  describe('fogsim session through a Kafka outage', () => {
    it('has every real server in CI', () => {
      throw new Error(`CI is set but ${missing.join(', ')} not: run scripts/real/up.sh and source $FOGSIM_REAL_DIR/env.sh`);
    });
  });
}

const why = missing.length ? `${missing.join(', ')} unset; run scripts/real/up.sh` : 'FOGSIM_KAFKA_BROKERS is not the 127.0.0.1:19092 broker of scripts/real/kafka.sh, which this test stops';
describe.skipIf(missing.length > 0 || !scriptBroker)(`fogsim session through a Kafka outage (skipped when ${why})`, () => {
  it('nodes keep running while the broker is down; telemetry resumes; every stored run arrives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-kafka-outage-'));
    const base = readInfraConfig(env);
    const cfg = { ...base, mysqlUrl: await scratchDatabase(base.mysqlUrl!, 'outage'), dataDir: dir, sqlitePath: join(dir, 'unused.db') };
    const telemetryRuns = new Set<number>();
    const keys = new Set<string>();
    const sub = new KafkaTelemetrySubscriber({ brokers: cfg.kafkaBrokers!, partitions: cfg.kafkaPartitions, replication: cfg.kafkaReplication, logger: captureLogger().logger });
    await sub.subscribe((m) => {
      if (m.topic !== 'runs') return;
      telemetryRuns.add((m.payload as { id: number }).id);
      keys.add(m.key);
    });
    const lines: string[] = [];
    const session = await startSession({ scenarioFile: 'test/fixtures/thesis-fast.yaml', cfg, log: (l) => lines.push(l), nodeEntry: 'nodes/main.ts', nodeExecArgv: ['--import', 'tsx'] });
    const crashes: NodeStatus[] = [];
    session.runtime!.on('crash', (st: NodeStatus) => crashes.push(st));
    const storeRuns = async (): Promise<RunRow[]> => (await session.infra.store.listRuns({ limit: 1_000_000 })).filter((r) => r.startedAtMs >= session.startedAtMs);
    try {
      await waitFor(() => keys.size === 3, 120_000, 'telemetry runs from all three apps');
      const atStop = (await storeRuns()).length;
      await run('bash', ['scripts/real/kafka.sh', 'stop'], { timeout: 60_000 });
      // Kafka is gone: the nodes go on measuring and deciding, the store gets every run.
      let duringOutage = 0;
      const t0 = Date.now();
      while (Date.now() - t0 < 120_000) {
        duringOutage = (await storeRuns()).length - atStop;
        if (duringOutage >= 30) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(duringOutage).toBeGreaterThanOrEqual(30);
      await run('bash', ['scripts/real/kafka.sh', 'start'], { timeout: 300_000, env: scriptEnv });
      const atRestart = await storeRuns();
      // Telemetry resumes: the backlog and the runs after the restart arrive.
      // the broker reloads its logs and the group rejoins before the backlog can arrive: on a loaded
      // two-core machine that once took more than 120 s
      await waitFor(() => atRestart.every((r) => telemetryRuns.has(r.id)), 240_000, `telemetry for all ${atRestart.length} runs stored up to the restart`);
      const afterRestart = telemetryRuns.size;
      await waitFor(() => telemetryRuns.size > afterRestart + 10, 60_000, 'new runs after the restart');
      await session.runtime!.stopAll();
      // A node flushes its telemetry as it stops: every stored run has arrived.
      const all = await storeRuns();
      await waitFor(() => all.every((r) => telemetryRuns.has(r.id)), 60_000, `telemetry for all ${all.length} stored runs`).catch((e) => {
        throw new Error(`${(e as Error).message}; missing ids ${all.filter((r) => !telemetryRuns.has(r.id)).map((r) => r.id).slice(0, 20).join(',')}`);
      });
      expect(crashes).toEqual([]);
      expect(lines.join('\n')).not.toMatch(/exited \(/);
      console.info(`kafka-outage-run: ${all.length} runs stored, ${duringOutage}+ while Kafka was down, all ${all.length} seen as telemetry, 0 node crashes`);
    } finally {
      await run('bash', ['scripts/real/kafka.sh', 'start'], { timeout: 300_000, env: scriptEnv }).catch(() => {});
      await session.close();
      await sub.close();
    }
  }, 600_000);
});
