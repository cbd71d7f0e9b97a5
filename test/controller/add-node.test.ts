import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addNodeToStore, CLI_FIELDS, defaultDrawSeed, describeDrawn, drawMissing, parseLatencyFlag } from '../../controller/add-node.js';
import { startControllerServer, type RunningController } from '../../controller/server.js';
import { UserError } from '../../model/errors.js';
import { tempStore, type TempStore } from './fixtures.js';
import { isolatedEnv } from '../helpers/env.js';

import { closedPort } from '../helpers/ports.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;


async function cli(args: string[], env: Record<string, string>) {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'add-node', ...args], { cwd: root, env: isolatedEnv({ ...env, FOGSIM_LOG_LEVEL: 'silent' }), timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('add-node logic', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(async () => t.cleanup());

  it('parses --latency pairs and refuses garbage naming the flag', () => {
    expect(parseLatencyFlag('1=2000, 2=1000,3=0.5')).toEqual({ '1': 2000, '2': 1000, '3': 0.5 });
    expect(parseLatencyFlag('1=-5')).toEqual({ '1': -5 }); // range is checked with the node list
    expect(() => parseLatencyFlag('1:2000')).toThrow(/--latency: cannot read "1:2000"/);
    expect(() => parseLatencyFlag('1=1,1=2')).toThrow(/--latency: node 1 is given twice/);
    expect(() => parseLatencyFlag('')).toThrow(UserError);
  });

  it('writes nothing when any check fails, and reports every problem with the flag names', async () => {
    const err = await addNodeToStore(t.store, { id: 3, availability: 120, storage: true, latency: { '1': -1, '7': 5 } }, CLI_FIELDS).catch((e: unknown) => e as UserError);
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as UserError).message;
    expect(msg).toMatch(/--id: node 3 already exists/);
    expect(msg).toMatch(/--availability: must be a percentage between 0 and 100, got 120/);
    expect(msg).toMatch(/--latency: latency to node 1 must be >= 0 ms, got -1/);
    expect(msg).toMatch(/--latency: unknown peer node "7"/);
    expect(msg).toMatch(/--latency: missing latency to node\(s\) 2;/);
    expect((await t.store.listNodes()).length).toBe(3);
    expect((await t.store.listLinks()).length).toBe(6);
  });
});

describe('add-node draws what is left out (as add_nodes.py)', () => {
  const base = { id: 4, storage: true };

  it('draws whole numbers in range: latency 100..2000 ms to every existing node, availability 60..99 %', () => {
    const avail = new Set<number>();
    for (let seed = 0; seed < 400; seed++) {
      const { input, drawn } = drawMissing([3, 1, 2], base, seed);
      expect(Object.keys(input.latency)).toEqual(['1', '2', '3']);
      for (const ms of Object.values(input.latency)) {
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(100);
        expect(ms).toBeLessThanOrEqual(2000);
      }
      expect(Number.isInteger(input.availability)).toBe(true);
      expect(input.availability).toBeGreaterThanOrEqual(60);
      expect(input.availability).toBeLessThanOrEqual(99);
      expect(drawn).toEqual({ seed, availability: input.availability, latency: input.latency });
      avail.add(input.availability);
    }
    // uniform over the whole range, both ends included
    expect(avail.has(60) && avail.has(99)).toBe(true);
    expect(avail.size).toBe(40);
  });

  it('one seed draws the same; the default seed comes from the node id', () => {
    expect(drawMissing([1, 2, 3], base, 7)).toEqual(drawMissing([1, 2, 3], base, 7));
    expect(drawMissing([1, 2, 3], base, 7).input).not.toEqual(drawMissing([1, 2, 3], base, 8).input);
    expect(drawMissing([1, 2, 3], base)).toEqual(drawMissing([1, 2, 3], base, defaultDrawSeed(4)));
    expect(defaultDrawSeed(4)).not.toBe(defaultDrawSeed(5));
  });

  it('keeps what is given, draws only the rest (the same values as when both are drawn)', () => {
    const both = drawMissing([1, 2, 3], base, 11).input;
    const onlyLatency = drawMissing([1, 2, 3], { ...base, availability: 91 }, 11);
    expect(onlyLatency.input).toMatchObject({ availability: 91, latency: both.latency });
    expect(onlyLatency.drawn.availability).toBeUndefined();
    const onlyAvail = drawMissing([1, 2, 3], { ...base, latency: { '1': 5, '2': 6, '3': 7 } }, 11);
    expect(onlyAvail.input).toMatchObject({ availability: both.availability, latency: { '1': 5, '2': 6, '3': 7 } });
    expect(describeDrawn(onlyAvail.drawn)).toBe(`drew availability ${both.availability} % (seed 11)`);
    expect(describeDrawn({ seed: 3, availability: 73, latency: { '1': 845, '2': 1730, '3': 212 } })).toBe('drew availability 73 %, latency 1=845,2=1730,3=212 ms (seed 3)');
    expect(describeDrawn({ seed: 3 })).toBeUndefined();
  });
});

describe('fogsim add-node (the CLI, in a child process)', () => {
  let t: TempStore;
  let srv: RunningController | undefined;
  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
    await t.cleanup();
  });

  it('without a controller, writes straight on the store', async () => {
    const env = { FOGSIM_SQLITE_PATH: t.path, FOGSIM_API_URL: `http://127.0.0.1:${await closedPort()}` };
    const r = await cli(['--id', '4', '--availability', '91', '--latency', '1=2000,2=1000,3=500', '--storage', 'no'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/added node 4 .*availability 91%, storage no .*via the sqlite store/);
    expect(await t.store.getNode(4)).toMatchObject({ availability: 91, storage: false });
    expect(await t.store.getLatency(2, 4)).toBe(1000);
  });

  it('without --latency and --availability, draws them (seeded) and prints what it drew', async () => {
    const env = { FOGSIM_SQLITE_PATH: t.path, FOGSIM_API_URL: `http://127.0.0.1:${await closedPort()}` };
    const r = await cli(['--id', '4', '--seed', '42'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = /^drew availability (\d+) %, latency 1=(\d+),2=(\d+),3=(\d+) ms \(seed 42\)$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const expected = drawMissing([1, 2, 3], { id: 4, storage: true }, 42).input;
    expect(Number(m![1])).toBe(expected.availability);
    expect((await t.store.getNode(4))?.availability).toBe(expected.availability);
    for (const peer of [1, 2, 3]) {
      expect(Number(m![peer + 1])).toBe(expected.latency[String(peer)]);
      expect(await t.store.getLatency(peer, 4)).toBe(expected.latency[String(peer)]);
    }
    // no --seed: derived from the id, so a second store draws the same for node 4
    const [one, two] = [await tempStore(), await tempStore()];
    try {
      const a = await cli(['--id', '4', '--availability', '90'], { ...env, FOGSIM_SQLITE_PATH: one.path });
      const b = await cli(['--id', '4', '--availability', '90'], { ...env, FOGSIM_SQLITE_PATH: two.path });
      expect(a.code, a.stderr).toBe(0);
      const line = (out: string) => out.split('\n').find((l) => l.startsWith('drew '));
      expect(line(a.stdout)).toMatch(new RegExp(`^drew latency 1=\\d+,2=\\d+,3=\\d+ ms \\(seed ${defaultDrawSeed(4)}\\)$`));
      expect(line(b.stdout)).toBe(line(a.stdout));
      expect((await two.store.getNode(4))?.availability).toBe(90);
    } finally {
      await one.cleanup();
      await two.cleanup();
    }
  });

  it('refuses an existing id and a missing latency with exit 1 and a message naming the flag', async () => {
    const env = { FOGSIM_SQLITE_PATH: t.path, FOGSIM_API_URL: `http://127.0.0.1:${await closedPort()}` };
    const r = await cli(['--id', '2', '--availability', '91', '--latency', '1=2000'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--id: node 2 already exists/);
    expect(r.stderr).toMatch(/--latency: missing latency to node\(s\) 3/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user error
    const r2 = await cli(['--availability', '91', '--latency', '1=2000'], env);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/--id: required/);
  });

  it('with --api goes through the running controller, whose errors name the flags', async () => {
    srv = await startControllerServer({ store: t.store, port: 0 });
    const ok = await cli(['--id', '5', '--availability', '88', '--latency', '1=10,2=20,3=30', '--api', srv.url], {});
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`via ${srv.url}`);
    expect(await t.store.getLatency(5, 3)).toBe(30);
    const bad = await cli(['--id', '6', '--availability', '88', '--latency', '1=10,2=-20,3=30,5=1', '--api', srv.url], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--latency: latency to node 2 must be >= 0/);
    expect(await t.store.getNode(6)).toBeUndefined();
  });
});
