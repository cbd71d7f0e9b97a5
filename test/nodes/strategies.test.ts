import { lastNodeFailure } from '../../nodes/failure.js';
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AppNode, type NodeDeps } from '../../nodes/node.js';
import { loadAppStrategy } from '../../decision/strategies/load.js';
import { StrategyError } from '../../decision/strategies/types.js';
import { ProcessRuntime } from '../../controller/runtime/process-runtime.js';
import type { NodeStatus } from '../../controller/runtime/runtime.js';
import { createRng } from '../../util/rng.js';
import type { Clock } from '../../util/clock.js';
import { isolatedEnv } from '../helpers/env.js';
import { scaledThesis, seedModelVectors, startInfra, type Infra } from './fixtures.js';

/*
 * The node loop with a strategy (decision/strategies/), on the embedded store, S3 and proxy:
 * static never acts, no-feedback leaves no feedback, and a strategy that throws ends the app's
 * loop with its error recorded; as a process, the node exits 1 with it and is not restarted.
 */

const ev = (appId: number, datasetId: number, createdAtMs: number) => ({ appId, datasetId, actionLabel: `CR3`, actionType: 'changeRef' as const, createdAtMs, closesAtMs: createdAtMs + 8_000, explored: false });

describe('the node loop runs the app\'s strategy', () => {
  let infra: Infra | undefined;
  afterEach(async () => {
    await infra?.close();
    infra = undefined;
  });

  async function node(overrides: Record<string, unknown>, extra: Partial<NodeDeps> = {}, nowMs = 5_000) {
    const s = scaledThesis(overrides);
    infra ??= await startInfra(s);
    await seedModelVectors(infra.store, s);
    const clock: Clock = { now: () => nowMs, sleep: async () => undefined };
    const strategy = await loadAppStrategy(s, 1);
    return new AppNode({ store: infra.store, objects: infra.objects, latency: infra.latency, session: infra.session, clock, rng: createRng(1), scenario: s, appId: 1, runJob: await infra.jobFor(1), warmUp: false, strategy, ...extra });
  }

  it('static never acts: app 1 stays violated, every decision is NA and traced with the strategy', async () => {
    const n = await node({ strategy: 'static', decision: { epsilon: 1 } }); // epsilon 1: the original would always explore
    const { store } = infra!;
    for (let k = 0; k < 3; k++) {
      const r = await n.cycle();
      expect(r.actions).toEqual(['NA']);
      expect(r.runs[0]).toMatchObject({ goalMet: false, dataNode: 3, actionLabel: 'NA', decision: { kind: 'decided', chosen: 'NA', strategy: 'static' } });
      expect(r.runs[0].decision!.candidates.length).toBeGreaterThan(1); // the candidates were there to take
    }
    expect(await store.listEvents()).toEqual([]);
    expect((await store.getAppReference(1))!.nodeId).toBe(3);
  }, 60_000);

  it('no-feedback leaves no feedback on the open events of others; the original does', async () => {
    // maxRepairs 0: app 1's first check is the last of its cycle, so it only leaves feedback (or not)
    const timing = { arrivalMeanMs: 2000, arrivalSdMs: 200, feedbackWindowMs: 8000, maxRepairs: 0, latencySdMs: 2 };
    const quiet = await node({ strategy: 'no-feedback', timing });
    const { store } = infra!;
    const [copy] = await store.listCopies();
    const other = (await store.commitChangeRef({ appId: 2, toCopyId: copy.id, expectedVersion: copy.version, event: ev(2, copy.id, 4_000) })).event;
    const r = await quiet.cycle();
    expect(r.runs[0]).toMatchObject({ goalMet: false, decision: { kind: 'repairs-exhausted', feedbackGiven: 0, strategy: 'no-feedback' } });
    expect(await store.listFeedback(other.id)).toEqual([]);
    // the same app on the same event with the original: it answers
    const original = await node({ timing });
    const r2 = await original.cycle();
    expect(r2.runs[0]).toMatchObject({ decision: { kind: 'repairs-exhausted', feedbackGiven: 1, strategy: 'original' } });
    expect((await store.listFeedback(other.id)).map((f) => f.appId)).toEqual([1]);
  }, 60_000);

  it('a strategy that throws ends the loop with its error, recorded with the run', async () => {
    const boom = { name: './boom.mjs', leavesFeedback: true, decide: () => { throw new Error('boom'); } };
    const n = await node({}, { strategy: boom });
    const { store } = infra!;
    const message = 'strategy ./boom.mjs of app 1: threw boom';
    await expect(n.cycle()).rejects.toThrow(message);
    const [run] = await store.listRuns({ appId: 1 });
    expect(run).toMatchObject({ goalMet: false, actionLabel: 'NA', error: message });
    const [trace] = await store.listDecisions({ appId: 1 });
    expect(trace.trace).toMatchObject({ kind: 'strategy-failed', reason: message, strategy: './boom.mjs' });
    // run() does not go on to the next arrival, as it does after a store outage: it stops
    const again = await node({}, { strategy: boom });
    await expect(again.run()).rejects.toBeInstanceOf(StrategyError);
    expect(await store.countRuns(1)).toBe(2);
    expect(await store.listEvents()).toEqual([]);
  }, 60_000);

  it('as a process: exits 1 with `strategy <name> of app <id>: ...`, tells the runtime, and is not restarted', async () => {
    const s = scaledThesis({ timing: { arrivalMeanMs: 100, arrivalSdMs: 10, feedbackWindowMs: 8000, maxRepairs: 2, latencySdMs: 2 } });
    infra = await startInfra(s);
    await seedModelVectors(infra.store, s);
    const module = join(infra.dir, 'wild.mjs');
    writeFileSync(module, "export default function () { return 'M9_9'; }\n");
    const file = join(infra.dir, 'scenario.yaml');
    writeFileSync(file, stringify({ ...rawOf(s), strategy: './wild.mjs' }));
    const s3 = infra.objects.endpoint;
    const env = {
      VITEST: '',
      FOGSIM_LOG_LEVEL: 'silent',
      FOGSIM_APP_ID: '1',
      FOGSIM_SCENARIO: file,
      FOGSIM_SQLITE_PATH: join(infra.dir, 'fogsim.db'),
      FOGSIM_S3_ENDPOINT: `http://${s3.host}:${s3.port}`,
      FOGSIM_S3_ACCESS_KEY: infra.objects.options.accessKey,
      FOGSIM_S3_SECRET_KEY: infra.objects.options.secretKey,
      FOGSIM_TOXIPROXY_URL: infra.latency.url,
    };
    const expected = /^strategy \.\/wild\.mjs of app 1 returned "M9_9", not a candidate: NA, M3_1, M3_2, C3_1, C3_2$/;

    // the bare process: exit code 1 and the message on stderr
    const child = fork('nodes/main.ts', [], { env: isolatedEnv(env), execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += String(d)));
    const told: unknown[] = [];
    child.on('message', (m) => told.push(m));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    // the message for a human, then the same as the line a container's log carries (nodes/failure.ts)
    const [said, ...rest] = err.trim().split('\n');
    expect(said).toMatch(new RegExp(`^fogsim node: ${expected.source.slice(1)}`));
    expect(rest).toHaveLength(1);
    expect(lastNodeFailure(err)).toEqual({ message: expect.stringMatching(expected), kind: 'strategy' });
    expect(told).toContainEqual({ fogsimNodeFailure: { message: expect.stringMatching(expected), kind: 'strategy' } });
    const runs = await infra.store.listRuns({ appId: 1 });
    expect(runs.at(-1)!.error).toMatch(expected);

    // under the process runtime: reported as a crash with the error, given up at once
    // the runtime starts nodes from this process's environment: without CI's real-server settings
    const rt = new ProcessRuntime({ entry: 'nodes/main.ts', execArgv: ['--import', 'tsx'], restartDelayMs: 10, baseEnv: isolatedEnv() });
    const crashes: [NodeStatus, boolean][] = [];
    rt.on('crash', (st: NodeStatus, gaveUp: boolean) => crashes.push([st, gaveUp]));
    const crashed = once(rt, 'crash');
    await rt.start({ appId: 1, env });
    const [status, gaveUp] = (await crashed) as [NodeStatus, boolean];
    expect(gaveUp).toBe(true);
    expect(status).toMatchObject({ appId: 1, state: 'failed', restarts: 0, lastExit: { code: 1 } });
    expect(status.error).toMatch(expected);
    await new Promise((r) => setTimeout(r, 300));
    expect(crashes).toHaveLength(1);
    expect(rt.list()[0].state).toBe('failed');
    await rt.stopAll();
  }, 90_000);
});

/** The raw form of a parsed scenario, to write it back as YAML. */
function rawOf(s: ReturnType<typeof scaledThesis>): Record<string, unknown> {
  // the file's form: stream apps are apps of the file (the parsed scenario keeps them apart)
  const { source: _s, streamApps, ...rest } = s as typeof s & { source?: string };
  void _s;
  return JSON.parse(JSON.stringify({ ...rest, apps: [...rest.apps, ...streamApps] })) as Record<string, unknown>;
}
