import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { scaledThesis, seedModelVectors, startInfra, type Infra } from './fixtures.js';
import { isolatedEnv } from '../helpers/env.js';

describe('nodes/main.ts as a process', () => {
  let infra: Infra | undefined;
  afterEach(async () => {
    await infra?.close();
    infra = undefined;
  });

  it('runs the loop of FOGSIM_APP_ID against the servers in its environment and exits 0 on SIGTERM', async () => {
    const raw = {
      name: 'proc',
      seed: 3,
      nodes: [{ id: 1, availability: 97 }, { id: 2, availability: 80 }, { id: 3, availability: 85 }],
      links: [{ from: 1, to: 2, latencyMs: 100 }, { from: 1, to: 3, latencyMs: 150 }, { from: 2, to: 3, latencyMs: 120 }],
      dataset: { records: 2000, node: 3 },
      apps: [{ id: 2, node: 2, goal: { metric: 'throughput', min: 1000 } }],
      timing: { arrivalMeanMs: 200, arrivalSdMs: 10, feedbackWindowMs: 8000, maxRepairs: 2, latencySdMs: 2 },
    };
    const s = scaledThesis(raw);
    infra = await startInfra(s);
    await seedModelVectors(infra.store, s);
    const file = join(infra.dir, 'proc.yaml');
    writeFileSync(file, stringify(raw));
    const s3 = infra.objects.endpoint;
    const child = spawn(process.execPath, ['--import', 'tsx', 'nodes/main.ts'], {
      env: isolatedEnv({
        VITEST: '',
        FOGSIM_LOG_LEVEL: 'warn',
        FOGSIM_APP_ID: '2',
        FOGSIM_SCENARIO: file,
        FOGSIM_SQLITE_PATH: join(infra.dir, 'fogsim.db'),
        FOGSIM_S3_ENDPOINT: `http://${s3.host}:${s3.port}`,
        FOGSIM_S3_ACCESS_KEY: infra.objects.options.accessKey,
        FOGSIM_S3_SECRET_KEY: infra.objects.options.secretKey,
        FOGSIM_TOXIPROXY_URL: infra.latency.url,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // wait until it has recorded a few runs (bounded), then stop it
    const deadline = Date.now() + 20_000;
    while ((await infra.store.countRuns(2)) < 3 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const code = await exited;
    expect(err).not.toMatch(/error/i);
    expect(code).toBe(0);
    const runs = await infra.store.listRuns({ appId: 2 });
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs[0]).toMatchObject({ dataNode: 3, goalMet: true, actionLabel: 'NA', error: null });
    expect(runs[0].latencyMs).toBeGreaterThan(110); // 120 +- 2 on the link 2-3, read back from the proxy
  }, 60_000);
});
