import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImpactVector } from '../../model/metrics.js';
import { arrayToVector } from '../../model/metrics.js';
import { parseScenario, parseScenarioYaml } from '../../model/scenario.js';
import type { GoalTerm } from '../../model/types.js';
import { createRng } from '../../util/rng.js';
import { decide, weighCandidates } from '../../decision/decide.js';
import { evaluateGoal } from '../../decision/goal.js';
import { applyStrategy } from '../../decision/strategies/apply.js';
import { loadAppStrategy, loadStrategy } from '../../decision/strategies/load.js';
import { BUILTIN_STRATEGIES, builtinStrategy } from '../../decision/strategies/registry.js';
import { BUILTIN_STRATEGY_NAMES, strategySpecFor } from '../../decision/strategies/spec.js';
import { StrategyError, type BatchStrategyInput, type NamedStrategy, type StrategyInput } from '../../decision/strategies/types.js';

/*
 * The strategies of decision/strategies/ on hand-built inputs: three storage nodes, the app on
 * node 1, its data on node 3 (1-2 300 ms, 1-3 450 ms), a goal RT <= 800 AND A >= 95 violated on RT.
 */

const base = parseScenario({ nodes: [{ id: 1, availability: 90 }], dataset: { node: 1 }, apps: [{ id: 1, node: 1, goal: { metric: 'responseTime', max: 1 } }] });
const RT: GoalTerm = { metric: 'responseTime', max: 800 };
const A: GoalTerm = { metric: 'availability', min: 95 };
const goal = { all: [RT, A] };
const metrics = { responseTime: 950, executionTime: 20, throughput: 50_000, latency: 450, availability: 97, consistency: 1 };
// RT, ET, X, NL, A, DC
const good = arrayToVector([0.8, 0.1, 0.2, 0.9, 0.1, 0]);
const fair = arrayToVector([0.4, 0.1, 0.1, 0.5, 0.1, 0]);
const bad = arrayToVector([-0.5, 0, 0, -0.5, -0.5, 0]);

interface Built {
  dataNode?: number;
  familyCopies?: { id: number; nodeId: number }[];
  nodes?: { id: number; storage: boolean; availability: number }[];
  latencyMs?: Record<number, number>;
  impacts?: Record<string, ImpactVector>;
  counters?: Record<string, number>;
  epsilon?: number;
  seed?: number;
  met?: boolean;
}

function input(b: Built = {}): BatchStrategyInput {
  const dataNode = b.dataNode ?? 3;
  const familyCopies = b.familyCopies ?? [{ id: 1, nodeId: dataNode }];
  const nodes = b.nodes ?? [
    { id: 1, storage: true, availability: 97 },
    { id: 2, storage: true, availability: 80 },
    { id: 3, storage: true, availability: 85 },
  ];
  const impacts = new Map(Object.entries(b.impacts ?? { M3_1: good, C3_1: fair, M3_2: fair, C3_2: bad, CR2: fair, M1_2: bad, M1_3: bad, C1_2: bad, C1_3: bad }));
  const counters = b.counters ?? {};
  const params = { ...base.decision, epsilon: b.epsilon ?? 0 };
  const check = b.met ? evaluateGoal(goal, { ...metrics, responseTime: 100 }) : evaluateGoal(goal, metrics);
  const placement = { dataNode, referenceCopyId: familyCopies.find((c) => c.nodeId === dataNode)!.id, familyCopies, nodes };
  const { scored, missing } = weighCandidates({ check, placement, impacts, counters, params, rho: base.decision.rho });
  return {
    appId: 1,
    appNode: 1,
    check,
    metrics,
    placement,
    latencyMs: b.latencyMs ?? { 1: 0, 2: 300, 3: 450 },
    candidates: scored,
    missing,
    counters,
    openEvents: 0,
    params,
    rng: createRng(b.seed ?? 1),
  };
}

const choose = <I extends StrategyInput>(name: string, i: I) => applyStrategy(builtinStrategy(name)!, i);

describe('built-in strategies (decision/strategies/)', () => {
  it('the registry has every built-in by name; only no-feedback leaves no feedback', () => {
    expect(Object.keys(BUILTIN_STRATEGIES).sort()).toEqual([...BUILTIN_STRATEGY_NAMES].sort());
    for (const n of BUILTIN_STRATEGY_NAMES) expect(builtinStrategy(n)!.name).toBe(n);
    expect(BUILTIN_STRATEGY_NAMES.filter((n) => !builtinStrategy(n)!.leavesFeedback)).toEqual(['no-feedback']);
    expect(builtinStrategy('nope')).toBeUndefined();
  });

  it('original is decide() as it was: the same choices, exploration included, from the same seed', () => {
    const i = input({ epsilon: 0.3, seed: 5 });
    const rng = createRng(5);
    const d = { check: i.check, placement: i.placement, impacts: new Map(Object.entries({ M3_1: good, C3_1: fair, M3_2: fair, C3_2: bad })), counters: {}, params: i.params, rho: base.decision.rho, rng };
    const viaStrategy = Array.from({ length: 300 }, () => {
      const c = choose('original', i);
      return `${c.chosen.label}${c.explored ? '*' : ''}`;
    });
    const viaDecide = Array.from({ length: 300 }, () => {
      const c = decide(d);
      return `${c.chosen.label}${c.explored ? '*' : ''}`;
    });
    expect(viaStrategy).toEqual(viaDecide);
    expect(viaStrategy.some((x) => x.endsWith('*'))).toBe(true);
    expect(choose('original', input()).chosen.label).toBe('M3_1');
  });

  it('original follows the counters; no-counters and no-feedback choose on the score alone', () => {
    const i = () => input({ counters: { M3_1: 3 } }); // 1 - 0.33 * 3 = 0.01: M3_1's global score all but vanishes
    expect(choose('original', i()).chosen.label).not.toBe('M3_1');
    expect(choose('no-counters', i()).chosen.label).toBe('M3_1');
    expect(choose('no-feedback', i()).chosen.label).toBe('M3_1');
    // the candidates they are given keep the counter penalty: the strategy decides what to make of it
    expect(i().candidates.find((c) => c.label === 'M3_1')!.globalScore).toBeLessThan(0.01);
  });

  it('random: uniform over the candidates other than NA, marked explored; NA when there is none or nothing to repair', () => {
    const i = input({ seed: 9 });
    const actions = i.candidates.filter((c) => c.label !== 'NA').map((c) => c.label);
    expect(actions).toEqual(['M3_1', 'M3_2', 'C3_1', 'C3_2']);
    const counts = new Map<string, number>();
    for (let k = 0; k < 4000; k++) {
      const c = choose('random', i);
      expect(c.explored).toBe(true);
      counts.set(c.chosen.label, (counts.get(c.chosen.label) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([...actions].sort());
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
    // nothing but NA: two nodes, no storage elsewhere
    const alone = input({ nodes: [{ id: 1, storage: false, availability: 97 }, { id: 3, storage: true, availability: 85 }] });
    expect(alone.candidates.map((c) => c.label)).toEqual(['NA']);
    expect(choose('random', alone)).toEqual({ chosen: alone.candidates[0], explored: false });
    expect(choose('random', input({ met: true })).chosen.label).toBe('NA');
  });

  it('greedy-latency: a move to the nearest storage node, a change of reference when a copy is there, NA when the data is on it', () => {
    expect(choose('greedy-latency', input()).chosen.label).toBe('M3_1'); // node 1 is the app's own: 0 ms
    const noLocal = [{ id: 1, storage: false, availability: 97 }, { id: 2, storage: true, availability: 80 }, { id: 3, storage: true, availability: 85 }];
    expect(choose('greedy-latency', input({ nodes: noLocal })).chosen.label).toBe('M3_2'); // 300 < 450
    const withCopy = input({ nodes: noLocal, familyCopies: [{ id: 1, nodeId: 3 }, { id: 2, nodeId: 2 }] });
    expect(withCopy.candidates.map((c) => c.label)).toContain('CR2');
    expect(choose('greedy-latency', withCopy).chosen.label).toBe('CR2');
    // the data is already on the nearest node: nothing to gain
    expect(choose('greedy-latency', input({ dataNode: 1 })).chosen.label).toBe('NA');
    // a tie with where the data is: stay
    expect(choose('greedy-latency', input({ nodes: noLocal, latencyMs: { 1: 0, 2: 450, 3: 450 } })).chosen.label).toBe('NA');
    // a tie between two others: the lower id
    expect(choose('greedy-latency', input({ latencyMs: { 1: 200, 2: 200, 3: 450 } })).chosen.label).toBe('M3_1');
    // it ignores scores: the nearest even when its vector says it hurts
    expect(choose('greedy-latency', input({ impacts: { M3_1: bad, C3_1: bad, M3_2: good, C3_2: good } })).chosen.label).toBe('M3_1');
    expect(choose('greedy-latency', input({ met: true })).chosen.label).toBe('NA');
  });

  it('static never acts', () => {
    for (const b of [{}, { counters: { M3_1: 0 } }, { epsilon: 1 }]) expect(choose('static', input(b))).toEqual({ chosen: input().candidates[0], explored: false });
    expect(input().candidates[0].label).toBe('NA');
  });
});

describe('what a strategy returns (decision/strategies/apply.ts)', () => {
  const user = (decide: NamedStrategy['decide']): NamedStrategy => ({ name: './mine.js', decide, leavesFeedback: true });

  it('a label, {chosen: label, explored}, or {chosen: candidate}', () => {
    expect(applyStrategy(user(() => 'C3_1'), input()).chosen.label).toBe('C3_1');
    expect(applyStrategy(user(() => ({ chosen: 'M3_2', explored: true })), input())).toMatchObject({ chosen: { label: 'M3_2' }, explored: true });
    expect(applyStrategy(user((i) => ({ chosen: i.candidates[1] })), input()).chosen.label).toBe('M3_1');
  });

  it('an impossible label, a throw, a promise or a non-label is a StrategyError naming the strategy and the app', () => {
    const err = (decide: NamedStrategy['decide']) => {
      try {
        applyStrategy(user(decide), input());
      } catch (e) {
        expect(e).toBeInstanceOf(StrategyError);
        expect((e as StrategyError).appId).toBe(1);
        expect((e as StrategyError).strategy).toBe('./mine.js');
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(() => 'M9_9')).toBe('strategy ./mine.js of app 1 returned "M9_9", not a candidate: NA, M3_1, M3_2, C3_1, C3_2');
    expect(err(() => 'CR2')).toMatch(/returned "CR2", not a candidate/); // no copy on node 2
    expect(err(() => {
      throw new Error('boom');
    })).toBe('strategy ./mine.js of app 1: threw boom');
    expect(err(() => Promise.resolve('NA') as unknown as string)).toMatch(/^strategy \.\/mine\.js of app 1 returned a promise; a strategy is a synchronous function/);
    expect(err(() => undefined as unknown as string)).toMatch(/^strategy \.\/mine\.js of app 1 returned undefined; expected a candidate label \(NA, M3_1/);
    expect(err(() => ({ chosen: 'NA', explored: 'yes' }) as unknown as string)).toMatch(/returned explored "yes"/);
  });
});

describe('choosing and loading a strategy (decision/strategies/spec.ts, load.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-strategies-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const mod = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return `./${name}`;
  };
  const load = (spec: string, field = 'strategy') => loadStrategy({ spec, field, baseDir: dir });

  it('an app runs --strategy, else its own, else the scenario\'s (default original)', () => {
    const s = { strategy: 'random', apps: [{ id: 1 }, { id: 2, strategy: 'static' }] };
    expect(strategySpecFor(s, 1)).toEqual({ spec: 'random', field: 'strategy' });
    expect(strategySpecFor(s, 2)).toEqual({ spec: 'static', field: 'apps[1].strategy' });
    expect(strategySpecFor(s, 9)).toEqual({ spec: 'random', field: 'strategy' }); // an app added at run time
    expect(strategySpecFor(s, 2, 'original').spec).toBe('original');
    expect(strategySpecFor({ apps: [] }, 1).spec).toBe('original');
    // stream apps between the batch apps: each field is its entry in the file's apps[]
    const mixed = { apps: [{ id: 1, strategy: 'random' }, { id: 3, strategy: 'static' }], streamApps: [{ id: 2, entry: 0, strategy: 'static' }, { id: 4, entry: 2 }] };
    expect(strategySpecFor(mixed, 1)).toEqual({ spec: 'random', field: 'apps[1].strategy' });
    expect(strategySpecFor(mixed, 3)).toEqual({ spec: 'static', field: 'apps[3].strategy' });
    expect(strategySpecFor(mixed, 2)).toEqual({ spec: 'static', field: 'apps[0].strategy' });
    expect(strategySpecFor(mixed, 4)).toEqual({ spec: 'original', field: 'strategy' });
    expect(base.strategy).toBe('original');
  });

  it('built-ins by name; an unknown name, a bad extension or a missing file names the field and the fix', async () => {
    expect((await load('greedy-latency')).name).toBe('greedy-latency');
    await expect(load('greedy', 'apps[0].strategy')).rejects.toThrow(/^apps\[0\]\.strategy: unknown strategy "greedy"; use a built-in \(original, no-feedback, no-counters, random, greedy-latency, static\) or a path to a \.js or \.mjs module/);
    await expect(load('./mine.ts')).rejects.toThrow(/^strategy: strategy module "\.\/mine\.ts" must end in \.js or \.mjs/);
    await expect(load('./missing.js')).rejects.toThrow(new RegExp(`^strategy: no strategy module at ${join(dir, 'missing.js').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    await expect(load('./missing.js')).rejects.toBeInstanceOf(StrategyError);
  });

  it('a module must export a function (default, else decide); one that throws on import says so', async () => {
    await expect(load(mod('no-fn.mjs', 'export const answer = 42;\n'))).rejects.toThrow(/exports no function as default or decide \(it exports answer\); add `export default function \(input\)/);
    await expect(load(mod('broken.mjs', "throw new Error('cannot start');\n"))).rejects.toThrow(/failed to load: cannot start; fix the module/);
    await expect(load(mod('bad-flag.mjs', "export default () => 'NA';\nexport const leavesFeedback = 'no';\n"))).rejects.toThrow(/exports leavesFeedback "no"; expected true or false/);
    const named = await load(mod('named.mjs', "export function decide() { return 'NA'; }\nexport const leavesFeedback = false;\n"));
    expect(named).toMatchObject({ name: './named.mjs', leavesFeedback: false });
    expect(applyStrategy(named, input()).chosen.label).toBe('NA');
  });

  it('a module that throws, or returns an impossible label, fails its app with a clear error', async () => {
    const throws = await load(mod('throws.mjs', "export default function () { throw new Error('no idea'); }\n"));
    expect(() => applyStrategy(throws, input())).toThrow('strategy ./throws.mjs of app 1: threw no idea');
    const wild = await load(mod('wild.mjs', "export default function () { return 'M9_9'; }\n"));
    expect(() => applyStrategy(wild, input())).toThrow('strategy ./wild.mjs of app 1 returned "M9_9", not a candidate: NA, M3_1, M3_2, C3_1, C3_2');
  });

  it("an app's strategy is relative to its scenario file, and a failure names the app and the field", async () => {
    mod('ok.mjs', "export default () => 'NA';\n");
    const yaml = (strategy: string) =>
      `nodes: [{id: 1, availability: 90}]\ndataset: {node: 1}\nstrategy: ${strategy}\napps: [{id: 1, node: 1, goal: {metric: responseTime, max: 1}}, {id: 2, node: 1, goal: {metric: responseTime, max: 1}, strategy: ./no-fn.mjs}]\n`;
    const s = parseScenarioYaml(yaml('./ok.mjs'), join(dir, 'scenario.yaml'));
    expect((await loadAppStrategy(s, 1)).name).toBe('./ok.mjs');
    await expect(loadAppStrategy(s, 2)).rejects.toThrow(/^strategy \.\/no-fn\.mjs of app 2: apps\[1\]\.strategy: strategy module .* exports no function/);
    // an override (the controller makes its path absolute) wins for every app
    expect((await loadAppStrategy(s, 2, 'static')).name).toBe('static');
    expect((await loadAppStrategy(s, 2, join(dir, 'ok.mjs'))).name).toBe(join(dir, 'ok.mjs'));
  });

  it('scenario validation: an unknown built-in and a path that does not exist are path-precise errors', () => {
    const raw = (strategy: unknown, own?: unknown) => ({ nodes: [{ id: 1, availability: 90 }], dataset: { node: 1 }, strategy, apps: [{ id: 1, node: 1, goal: { metric: 'responseTime', max: 1 }, ...(own === undefined ? {} : { strategy: own }) }] });
    const problems = (r: unknown, source = join(dir, 'scenario.yaml')) => {
      try {
        parseScenario(r, source);
        return [];
      } catch (e) {
        return (e as { details: string[] }).details;
      }
    };
    expect(problems(raw('original', 'static'))).toEqual([]);
    expect(problems(raw('./ok.mjs'))).toEqual([]);
    expect(problems(raw('./ok.mjs'), join(tmpdir(), 'elsewhere', 's.yaml'))).toEqual([expect.stringMatching(/^strategy: no strategy module at .*ok\.mjs/)]);
    const [unknown] = problems(raw('original', 'greedy'));
    expect(unknown).toBe(`apps[0].strategy: unknown strategy "greedy"; use a built-in (${BUILTIN_STRATEGY_NAMES.join(', ')}) or a path to a .js or .mjs module such as ./my-strategy.js (docs/strategies.md)`);
    expect(problems(raw('./mine.py'))).toEqual([expect.stringMatching(/^strategy: strategy module "\.\/mine\.py" must end in \.js or \.mjs/)]);
    expect(problems(raw(''))).toEqual([expect.stringMatching(/^strategy: must be >= 1/)]);
    expect(parseScenario(raw('random', 'static')).apps[0].strategy).toBe('static');
  });

  it('the example of docs/strategies.md loads and runs: availability first, skipping what the community judged harmful', async () => {
    const example = await loadStrategy({ spec: './examples/my-strategy.js', field: 'strategy', baseDir: resolve('docs') });
    expect(example.leavesFeedback).toBe(true);
    // node 1 (97 %) beats the data node 3 (85 %); node 2 (80 %) does not
    expect(applyStrategy(example, input()).chosen.label).toBe('M3_1');
    expect(applyStrategy(example, input({ counters: { M3_1: 1 } })).chosen.label).toBe('NA');
    const twoBetter = [{ id: 1, storage: true, availability: 97 }, { id: 2, storage: true, availability: 97 }, { id: 3, storage: true, availability: 85 }];
    expect(applyStrategy(example, input({ nodes: twoBetter, latencyMs: { 1: 400, 2: 300, 3: 450 } })).chosen.label).toBe('M3_2'); // the nearer of equals
    expect(readFileSync('docs/strategies.md', 'utf8')).toContain(readFileSync('docs/examples/my-strategy.js', 'utf8').match(/export default function[\s\S]*?\n}\n/)![0]);
  });

  it('the --help of run and up names every built-in', () => {
    for (const f of ['cli/commands/run.ts', 'cli/commands/up.ts']) {
      const text = readFileSync(f, 'utf8');
      expect(text).toContain(`a built-in (${BUILTIN_STRATEGY_NAMES.join(', ')})`);
    }
  });
});
