import { describe, expect, it } from 'vitest';
import { applySets, loadScenarioWithSets, parseSet, parseSetPath } from '../../model/scenario-set.js';

const FILE = 'test/fixtures/thesis-fast.yaml';

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('scenario overrides (--set path=value)', () => {
  it('paths: dotted, with list items as [i] or .i', () => {
    expect(parseSetPath('decision.epsilon')).toEqual(['decision', 'epsilon']);
    expect(parseSetPath('apps[0].goal.all[1].max')).toEqual(['apps', 0, 'goal', 'all', 1, 'max']);
    expect(parseSetPath('links.2.latencyMs')).toEqual(['links', 2, 'latencyMs']);
    expect(errorOf(() => parseSetPath('decision..epsilon'))).toMatch(/^--set decision\.\.epsilon: unexpected "\."/);
    expect(errorOf(() => parseSet('decision.epsilon', '--grid'))).toMatch(/^--grid decision\.epsilon: expected path=value/);
  });

  it('values are YAML: numbers, booleans, strings, maps', () => {
    expect(parseSet('decision.epsilon=0.3').value).toBe(0.3);
    expect(parseSet('nodes[0].storage=false').value).toBe(false);
    expect(parseSet('decision.scoring=weighted').value).toBe('weighted');
    expect(parseSet('apps[0].goal={metric: latency, max: 300}').value).toEqual({ metric: 'latency', max: 300 });
  });

  it('applies in order on a copy, creating missing maps', () => {
    const raw = { name: 'x', decision: { epsilon: 0.1 }, apps: [{ id: 1 }] };
    const out = applySets(raw, [parseSet('decision.epsilon=0'), parseSet('timing.feedbackWindowMs=5000'), parseSet('apps[0].node=2'), parseSet('decision.epsilon=0.2')]);
    expect(out).toEqual({ name: 'x', decision: { epsilon: 0.2 }, timing: { feedbackWindowMs: 5000 }, apps: [{ id: 1, node: 2 }] });
    expect(raw.decision.epsilon).toBe(0.1);
    expect(errorOf(() => applySets(raw, [parseSet('apps[3].node=1')]))).toBe('--set apps[3].node=1: apps[3]: no such item (apps has 1)');
    expect(errorOf(() => applySets(raw, [parseSet('name.first=1')]))).toBe('--set name.first=1: name is "x", not a map or a list');
    expect(errorOf(() => applySets(raw, [parseSet('apps.id=1')]))).toMatch(/^--set apps\.id=1: apps is a list/);
  });

  it('the scenario validates with the sets, its errors naming the path', () => {
    const { scenario } = loadScenarioWithSets(FILE, [parseSet('decision.epsilon=0'), parseSet('timing.feedbackWindowMs=2500')]);
    expect(scenario.decision.epsilon).toBe(0);
    expect(scenario.timing.feedbackWindowMs).toBe(2500);
    expect(scenario.timing.arrivalMeanMs).toBe(150);
    const bad = errorOf(() => loadScenarioWithSets(FILE, [parseSet('decision.epsilonn=0')]));
    expect(bad).toContain(`invalid scenario ${FILE} with --set decision.epsilonn=0`);
    expect(bad).toContain('decision: unknown field(s) "epsilonn"');
    expect(errorOf(() => loadScenarioWithSets(FILE, [parseSet('decision.epsilon=2')]))).toContain('decision.epsilon: must be <= 1');
  });
});

describe('sets on a stream app (fogsim sweep --grid apps[1].scale.rule=autoscaler,ds2)', () => {
  const STREAM = 'scenarios/stream-scale.yaml';
  it('address its scale rule and strategy by its entry in apps[]; a wrong entry or field is named with the fix', () => {
    const { scenario } = loadScenarioWithSets(STREAM, [parseSet('apps[1].scale.rule=ds2', '--grid'), parseSet('apps[1].strategy=static')]);
    expect(scenario.streamApps[0]).toMatchObject({ id: 2, scale: { rule: 'ds2', violationsInARow: 3 }, strategy: 'static' });
    expect(errorOf(() => loadScenarioWithSets(STREAM, [parseSet('apps[0].scale.rule=ds2', '--grid')]))).toContain(
      'apps[0]: unknown field(s) "scale"; it is a field of stream apps (kind: stream) and apps[0] is a batch app: name a stream app\'s entry (apps[i] counts every entry of apps), or remove it',
    );
    expect(errorOf(() => loadScenarioWithSets(STREAM, [parseSet('apps[2].scale.rule=ds2', '--grid')]))).toBe('--grid apps[2].scale.rule=ds2: apps[2]: no such item (apps has 2)');
    expect(errorOf(() => loadScenarioWithSets(STREAM, [parseSet('apps[1].scale.rule=ds3', '--grid')]))).toContain('apps[1].scale.rule: Invalid option: expected one of "autoscaler"|"ds2"');
  });
});

describe('a scenario with sets written elsewhere', () => {
  it('keeps naming the files its paths name (strategy modules, the trace), relative to the original file', async () => {
    const { absolutePaths } = await import('../../model/scenario-set.js');
    const { resolve } = await import('node:path');
    const raw = { strategy: './mine.js', trace: 'steps.csv', apps: [{ id: 1, strategy: 'random' }, { id: 2, strategy: '../s.mjs' }, { id: 3, strategy: '/abs/s.js' }] };
    expect(absolutePaths(raw, 'scenarios/x.yaml')).toEqual({
      strategy: resolve('scenarios/mine.js'),
      trace: resolve('scenarios/steps.csv'),
      apps: [{ id: 1, strategy: 'random' }, { id: 2, strategy: resolve('s.mjs') }, { id: 3, strategy: '/abs/s.js' }],
    });
    expect(raw.strategy).toBe('./mine.js');
  });
});
