import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StreamMessage } from '../../stream/bus.js';
import {
  aggregateSignals,
  CadcadModuleError,
  CadcadStepError,
  checkCadcadModule,
  createCadcadSource,
  loadCadcadModule,
  runSeed,
  type CadcadModule,
} from '../../stream/workload/cadcad.js';

/*
 * Workloads in cadCAD's shape (stream/workload/cadcad.ts): modules built in code through
 * checkCadcadModule, modules on disk through loadCadcadModule, and the example of
 * docs/workloads.md (docs/examples/sensors.js).
 */

const dir = mkdtempSync(join(tmpdir(), 'fogsim-cadcad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return `./${name}`;
};
const load = (spec: string, opts?: Parameters<typeof loadCadcadModule>[2]) => loadCadcadModule(spec, dir, opts);
const sim = (exports: Record<string, unknown>, name = './inline.js'): CadcadModule => checkCadcadModule({ default: exports }, name);
const values = (ms: StreamMessage[]) => ms.map((m) => JSON.parse(m.value as string) as Record<string, unknown>);
const caught = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
};

/** A counter per run: its state is {n}, each step emits {run, step, n, r} where r is the emit rng's draw. */
const counter = sim({
  initialState: { n: 0 },
  policies: { inc: () => ({ by: 1 }) },
  updates: { n: (_p: unknown, _t: number, s: { n: number }, sig: { by: number }) => s.n + sig.by },
  emit: (_p: unknown, step: number, s: { n: number }, rng: { next(): number }, { run }: { run: number }) => [{ key: `r${run}`, value: { run, step, n: s.n, r: rng.next() } }],
});

describe('the example of docs/workloads.md (docs/examples/sensors.js)', () => {
  it('loads, and every timestep of every run sends one reading per sensor, keyed by fleet and sensor', async () => {
    const m = await loadCadcadModule('./examples/sensors.js', resolve('docs'));
    expect(Object.keys(m.policies)).toEqual(['walk', 'sun', 'heatwave', 'watchdog']);
    const src = createCadcadSource({ module: m, seed: 7, runs: 2, params: { alarmAbove: 100 } });
    const first = src.next(8, 1234);
    expect(first.map((x) => x.key)).toEqual([0, 1].flatMap((run) => [0, 1, 2, 3].map((s) => `fleet-${run}/sensor-${s}`)));
    expect(first.every((x) => x.timestampMs === 1234 && typeof x.value === 'string')).toBe(true);
    expect(values(first).map((v) => [v.run, v.step])).toEqual([...Array(4).fill([0, 1]), ...Array(4).fill([1, 1])]);
    expect(src.steps).toBe(2);
    // a random walk: near ambient, never the same twice
    const temps = values(src.next(8 * 200, 0)).map((v) => v.temperature as number);
    expect(Math.min(...temps)).toBeGreaterThan(10);
    expect(Math.max(...temps)).toBeLessThan(30);
    expect(new Set(temps).size).toBeGreaterThan(100);
  });

  it('raises the alarm while a sensor was above alarmAbove, and counts each alarm once', async () => {
    const m = await loadCadcadModule('./examples/sensors.js', resolve('docs'));
    const msgs = values(createCadcadSource({ module: m, seed: 3, params: { alarmAbove: 22 } }).next(5 * 400, 0));
    const readings = msgs.filter((v) => 'sensor' in v);
    const alarms = msgs.filter((v) => 'hot' in v);
    expect(alarms.length).toBeGreaterThan(0);
    // the watchdog reads the temperatures before the step: an alarm at step t means a reading above 22 at t-1
    const hotAt = new Set(readings.filter((v) => (v.temperature as number) > 22).map((v) => v.step as number));
    for (const a of alarms) expect(hotAt.has((a.step as number) - 1)).toBe(true);
    for (const t of hotAt) expect(alarms.some((a) => a.step === t + 1) || t === 400).toBe(true);
    // alarms counts the steps where the alarm went on
    const steps = alarms.map((a) => a.step as number);
    const rising = steps.filter((t, i) => i === 0 || steps[i - 1] !== t - 1).length;
    expect(alarms.at(-1)!.alarms).toBe(rising);
  });

  it('docs/workloads.md shows the example and says how signals are aggregated', () => {
    const doc = readFileSync('docs/workloads.md', 'utf8');
    expect(doc).toContain('examples/sensors.js');
    expect(doc).toContain(readFileSync('docs/examples/sensors.js', 'utf8').match(/ {2}policies: \{[\s\S]*?\n {2}\},\n/)![0]);
    expect(doc).toMatch(/summed/);
  });
});

describe('determinism', () => {
  it('one seed repeats the messages, another changes them', async () => {
    const m = await loadCadcadModule('./examples/sensors.js', resolve('docs'));
    const take = (seed: number) => createCadcadSource({ module: m, seed, runs: 3 }).next(500, 0);
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('the sequence is the same however it is asked for; each call stamps its own time', () => {
    const whole = createCadcadSource({ module: counter, seed: 1, runs: 3 }).next(60, 0);
    const src = createCadcadSource({ module: counter, seed: 1, runs: 3 });
    const parts: StreamMessage[] = [];
    for (const n of [1, 7, 0, 2, 13, 37]) parts.push(...src.next(n, n * 10));
    expect(parts.map((m) => m.value)).toEqual(whole.map((m) => m.value));
    expect(parts.slice(0, 1).map((m) => m.timestampMs)).toEqual([10]);
    expect(parts.at(-1)!.timestampMs).toBe(370);
  });

  it('a policy draws from a generator of its own: adding a policy shifts no other draws', () => {
    const walk = (_p: unknown, _t: number, _s: unknown, rng: { next(): number }) => ({ d: rng.next() });
    const base = { initialState: { x: 0 }, updates: { x: (_p: unknown, _t: number, s: { x: number }, sig: { d: number }) => s.x + sig.d }, emit: (_p: unknown, _t: number, s: unknown) => [{ value: s }] };
    const one = sim({ ...base, policies: { walk } });
    const two = sim({ ...base, policies: { walk, other: (_p: unknown, _t: number, _s: unknown, rng: { next(): number }) => ({ e: rng.next() }) } });
    expect(createCadcadSource({ module: two, seed: 5 }).next(20, 0)).toEqual(createCadcadSource({ module: one, seed: 5 }).next(20, 0));
  });
});

describe('one timestep', () => {
  it("policies' signals: numbers summed, arrays concatenated, otherwise the later policy wins; a lone signal kept", () => {
    expect(aggregateSignals([{ heat: 1, list: ['a'], flag: 'first', on: true, only: 3 }, { heat: 2.5, list: ['b', 'c'], flag: 'second', on: false }, { heat: -1, mixed: 1 }, { mixed: 'x' }])).toEqual({
      heat: 2.5,
      list: ['a', 'b', 'c'],
      flag: 'second',
      on: false,
      only: 3,
      mixed: 'x',
    });
    const m = sim({
      initialState: { seen: null },
      policies: { a: () => ({ heat: 1, msgs: [1] }), b: () => ({ heat: 2, msgs: [2], who: 'b' }), c: () => ({ who: 'c' }) },
      updates: { seen: (_p: unknown, _t: number, _s: unknown, sig: unknown) => sig },
      emit: (_p: unknown, _t: number, s: { seen: unknown }) => [{ value: s.seen }],
    });
    expect(values(createCadcadSource({ module: m, seed: 0 }).next(1, 0))).toEqual([{ heat: 3, msgs: [1, 2], who: 'c' }]);
  });

  it('every update sees the state before the step; emit sees the state after it; a variable without an update stays', () => {
    const m = sim({
      initialState: { a: 1, b: 0, fixed: 'same' },
      policies: { look: (_p: unknown, t: number, s: { a: number }) => ({ sawA: s.a, t }) },
      updates: {
        a: (_p: unknown, _t: number, s: { a: number }) => s.a * 2,
        b: (_p: unknown, _t: number, s: { a: number }, sig: { sawA: number }) => (s.a === sig.sawA ? s.a : -1), // the old a, not a's new value
      },
      emit: (_p: unknown, step: number, s: Record<string, unknown>) => [{ key: String(step), value: s }],
    });
    expect(values(createCadcadSource({ module: m, seed: 0 }).next(4, 0))).toEqual([
      { a: 2, b: 1, fixed: 'same' },
      { a: 4, b: 2, fixed: 'same' },
      { a: 8, b: 4, fixed: 'same' },
      { a: 16, b: 8, fixed: 'same' },
    ]);
  });

  it('params: the scenario\'s over the module\'s, key by key; strings and Buffers are sent as they are', () => {
    const m = sim({
      params: { unit: 'C', scale: 1 },
      initialState: {},
      emit: (p: { unit: string; scale: number }, step: number) => [{ key: 'k', value: `${step * p.scale}${p.unit}` }, { value: Buffer.from([step]) }, { key: null, value: [step] }],
    });
    const out = createCadcadSource({ module: m, seed: 0, params: { scale: 10 } }).next(3, 5);
    expect(out).toEqual([{ key: 'k', value: '10C', timestampMs: 5 }, { value: Buffer.from([1]), timestampMs: 5 }, { value: '[1]', timestampMs: 5 }]);
  });

  it('the state is frozen: a policy that changes it in place fails its step', () => {
    const m = sim({ initialState: { list: [1] }, policies: { bad: (_p: unknown, _t: number, s: { list: number[] }) => (s.list.push(2), {}) }, emit: () => [] });
    const e = caught(() => createCadcadSource({ module: m, seed: 0 }).next(1, 0)) as CadcadStepError;
    expect(e).toBeInstanceOf(CadcadStepError);
    expect(e.message).toMatch(/^workload module \.\/inline\.js, timestep 1 of run 0: policies\.bad threw .*not extensible/);
  });
});

describe('Monte Carlo runs', () => {
  it('take turns a timestep each, in run order, and differ from each other', () => {
    const out = values(createCadcadSource({ module: counter, seed: 9, runs: 3 }).next(9, 0));
    expect(out.map((v) => [v.run, v.step, v.n])).toEqual([[0, 1, 1], [1, 1, 1], [2, 1, 1], [0, 2, 2], [1, 2, 2], [2, 2, 2], [0, 3, 3], [1, 3, 3], [2, 3, 3]]);
    const draws = [0, 1, 2].map((run) => out.filter((v) => v.run === run).map((v) => v.r));
    expect(new Set(draws.map((d) => JSON.stringify(d))).size).toBe(3);
  });

  it('run r is seeded from the seed and r alone: run 0 of three runs is the run of one', () => {
    const three = values(createCadcadSource({ module: counter, seed: 9, runs: 3 }).next(30, 0)).filter((v) => v.run === 0);
    const one = values(createCadcadSource({ module: counter, seed: 9 }).next(10, 0));
    expect(three).toEqual(one);
    expect(runSeed(9, 0)).not.toBe(runSeed(9, 1));
    expect(runSeed(9, 0)).not.toBe(runSeed(10, 0));
  });

  it('timesteps ends every run; a sparse module gives fewer messages than asked, never a hang', () => {
    const src = createCadcadSource({ module: counter, seed: 0, runs: 2, timesteps: 3 });
    expect(src.next(100, 0)).toHaveLength(6);
    expect(src.done).toBe(true);
    expect(src.next(5, 0)).toEqual([]);
    const bounded = sim({ initialState: { n: 0 }, emit: counter.emit, timesteps: 2 });
    expect(createCadcadSource({ module: bounded, seed: 0 }).next(10, 0)).toHaveLength(2);
    expect(createCadcadSource({ module: bounded, seed: 0, timesteps: 4 }).next(10, 0)).toHaveLength(4); // the option over the module's
    const silent = createCadcadSource({ module: sim({ initialState: {}, emit: () => [] }), seed: 0, maxStepsPerCall: 50 });
    expect(silent.next(10, 0)).toEqual([]);
    expect(silent.steps).toBe(50);
    expect(silent.done).toBe(false);
  });
});

describe('a module that fails during a step', () => {
  const throwsAt = (fn: 'policy' | 'update' | 'emit') =>
    sim(
      {
        initialState: { n: 0 },
        policies: { sense: (_p: unknown, t: number) => (fn === 'policy' && t === 3 ? (() => { throw new Error('sensor offline'); })() : {}) },
        updates: { n: (_p: unknown, t: number, s: { n: number }) => (fn === 'update' && t === 3 ? (() => { throw new Error('overflow'); })() : s.n + 1) },
        emit: (_p: unknown, t: number, s: unknown) => (fn === 'emit' && t === 3 ? (() => { throw new RangeError('no room'); })() : [{ value: s }]),
      },
      './flaky.js',
    );

  it('is a CadcadStepError naming the module, the function, the timestep and the run; the source stays broken', () => {
    for (const [fn, name, why] of [['policy', 'policies.sense', 'sensor offline'], ['update', 'updates.n', 'overflow'], ['emit', 'emit', 'no room']] as const) {
      const src = createCadcadSource({ module: throwsAt(fn), seed: 0, runs: 2 });
      expect(src.next(4, 0)).toHaveLength(4);
      const e = caught(() => src.next(4, 0)) as CadcadStepError;
      expect(e).toBeInstanceOf(CadcadStepError);
      expect(e.message).toBe(`workload module ./flaky.js, timestep 3 of run 0: ${name} threw ${why}`);
      expect(e).toMatchObject({ module: './flaky.js', fn: name, step: 3, run: 0, code: 'VALIDATION' });
      expect((e.cause as Error).message).toBe(why);
      expect(caught(() => src.next(1, 0))).toBe(e);
    }
  });

  it('returning what it may not is a CadcadStepError saying what was expected', () => {
    const err = (m: Record<string, unknown>) => (caught(() => createCadcadSource({ module: sim({ initialState: { n: 0 }, emit: () => [], ...m }), seed: 0 }).next(1, 0)) as Error).message;
    expect(err({ emit: () => ({ value: 1 }) })).toBe("workload module ./inline.js, timestep 1 of run 0: emit returned an object, not an array of messages; return e.g. [{ key: 'sensor-1', value: { temperature: 21.5 } }] ([] for none)");
    expect(err({ emit: () => [{ key: 3, value: 1 }] })).toMatch(/emit returned message 0 with key number 3; a key is a string/);
    expect(err({ emit: () => [{ value: undefined }] })).toMatch(/emit returned message 0 with value undefined; a value is a string, a Buffer or what JSON can hold/);
    expect(err({ emit: () => [{ value: { big: 1n } }] })).toMatch(/emit returned message 0 whose value cannot be JSON/);
    expect(err({ emit: async () => [] })).toMatch(/emit returned a promise; policies, updates and emit are synchronous/);
    expect(err({ policies: { p: () => 5 } })).toMatch(/policies\.p returned number 5, not an object of signals/);
    expect(err({ updates: { n: () => undefined } })).toMatch(/updates\.n returned undefined; return the new value of state\.n \(state\.n to keep it\)/);
    expect(err({ updates: { n: () => new Map() } })).toMatch(/updates\.n returned what is not plain data: the new state\.n is a Map/);
  });
});

describe('loading a module', () => {
  it('by path relative to the base folder: a bad extension, a missing file or a failed import names the fix', async () => {
    await expect(load('./sim.ts')).rejects.toThrow(/^workload module "\.\/sim\.ts" must end in \.js or \.mjs/);
    await expect(load('./missing.js', { field: 'workloads[0].module' })).rejects.toThrow(/^workloads\[0\]\.module: no workload module at .*missing\.js \("\.\/missing\.js" relative to .*\); fix the path/);
    await expect(load(file('broken.mjs', "throw new Error('cannot start');\n"))).rejects.toThrow(/failed to load: cannot start; fix the module/);
    await expect(load('./missing.js')).rejects.toBeInstanceOf(CadcadModuleError);
    const ok = await load(file('ok.mjs', 'export default { initialState: { n: 0 }, emit: (p, t) => [{ value: t }] };\n'));
    expect(ok).toMatchObject({ name: './ok.mjs', file: join(dir, 'ok.mjs') });
    const named = await load(file('named.mjs', 'export const initialState = { n: 0 };\nexport function emit() { return []; }\n'));
    expect(Object.keys(named.initialState)).toEqual(['n']);
  });

  it('a bad shape names the export and the fix', async () => {
    const shape = async (text: string) => {
      const e = await load(file(`m${Math.random().toString(36).slice(2)}.mjs`, text), { field: 'workloads[1].module' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(CadcadModuleError);
      return (e as Error).message;
    };
    expect(await shape('export const x = 1;\n')).toMatch(/^workloads\[1\]\.module: workload module .*\.mjs exports no simulation \(it exports x\); add `export default \{ initialState/);
    expect(await shape('export default function () {}\n')).toMatch(/has a function as its default export; export the simulation as one object/);
    expect(await shape('export default { emit: () => [] };\n')).toMatch(/has no initialState; add the state variables and their values at timestep 0/);
    expect(await shape('export default { initialState: 3, emit: () => [] };\n')).toMatch(/has number 3 as initialState; it must be an object of state variables/);
    expect(await shape('export default { initialState: { f() {} }, emit: () => [] };\n')).toMatch(/: initialState\.f is a function; it must be plain data/);
    expect(await shape('export default { initialState: {}, policies: { heat: 2 }, emit: () => [] };\n')).toMatch(/has number 2 as policies\.heat, not a function; write `policies: \{ heat\(params, step, state, rng\)/);
    expect(await shape('export default { initialState: {}, policies: [], emit: () => [] };\n')).toMatch(/has an array as policies; it must be an object of functions/);
    expect(await shape('export default { initialState: { a: 1 }, updates: { b: () => 1 }, emit: () => [] };\n')).toMatch(/has updates\.b, but initialState has no b \(it has a\); name each update after the state variable it computes/);
    expect(await shape('export default { initialState: {} };\n')).toMatch(/has no emit; add `emit\(params, step, state, rng\)/);
    expect(await shape('export default { initialState: {}, emit: [] };\n')).toMatch(/has an array as emit, not a function/);
    expect(await shape('export default { initialState: {}, emit: () => [], policy: {} };\n')).toMatch(/: its default export has "policy", which a simulation does not take; the keys are initialState, policies, updates, emit, params, timesteps/);
    expect(await shape('export default { initialState: {}, emit: () => [], timesteps: 0 };\n')).toMatch(/has number 0 as timesteps; it must be a whole number >= 1/);
    expect(await shape('export default { initialState: {}, emit: () => [], params: { f: () => 1 } };\n')).toMatch(/: params\.f is a function/);
  });

  it('a trial timestep at load time: an emit that returns no array, or a function that throws, fails the load', async () => {
    expect(await trialFailure('export default { initialState: {}, emit: () => null };\n')).toMatch(/^workload module \.\/trial1\.mjs, timestep 1 of run 0: emit returned null, not an array of messages; .* \(in a trial timestep at load time\)$/);
    const e = await load(file('trial2.mjs', "export default { initialState: {}, policies: { p: (params) => { if (!params.sensors) throw new Error('params.sensors is required'); return {}; } }, emit: () => [] };\n")).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CadcadModuleError);
    expect((e as Error).message).toMatch(/timestep 1 of run 0: policies\.p threw params\.sensors is required/);
    expect((e as CadcadModuleError).cause).toBeInstanceOf(CadcadStepError);
    // with the scenario's params, or no trial
    await expect(load('./trial2.mjs', { trial: { params: { sensors: 3 } } })).resolves.toMatchObject({ name: './trial2.mjs' });
    await expect(load('./trial2.mjs', { trial: false })).resolves.toMatchObject({ name: './trial2.mjs' });
  });
});

async function trialFailure(text: string): Promise<string> {
  const e = await loadCadcadModule(file('trial1.mjs', text), dir).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(CadcadModuleError);
  return (e as Error).message;
}

describe('plain data', () => {
  it('an update may return parts of the old state; a frozen value is checked as any other', () => {
    const keep = sim({ initialState: { list: [1, 2] }, updates: { list: (_p: unknown, _t: number, s: { list: number[] }) => s.list }, emit: (_p: unknown, _t: number, s: unknown) => [{ value: s }] });
    expect(values(createCadcadSource({ module: keep, seed: 0 }).next(2, 0))).toEqual([{ list: [1, 2] }, { list: [1, 2] }]);
    const sneaky = sim({ initialState: { x: 0 }, updates: { x: () => Object.freeze({ f: () => 1 }) }, emit: () => [] });
    expect(() => createCadcadSource({ module: sneaky, seed: 0 }).next(1, 0)).toThrow(/updates\.x returned what is not plain data: the new state\.x\.f is a function/);
  });
});
