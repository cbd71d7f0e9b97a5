import { describe, expect, it } from 'vitest';
import { gridCells, parseEngines, parseGridAxis, parseList, parseSeeds, strategyCells } from '../../../../controller/experiment/compare/plan.js';

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('compare and sweep plans', () => {
  it('seeds: ranges and lists, in order, without repeats', () => {
    expect(parseSeeds('1..5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseSeeds('3,1,2..4')).toEqual([3, 1, 2, 4]);
    expect(parseSeeds('7')).toEqual([7]);
    expect(errorOf(() => parseSeeds('5..1'))).toMatch(/runs backwards; write 1\.\.5/);
    expect(errorOf(() => parseSeeds('1,x'))).toMatch(/got "x"/);
  });

  it('strategies: one cell each, folders safe for any name', () => {
    const cells = strategyCells(parseList('original,random,./mine/my-strategy.js', '--strategies'));
    expect(cells.map((c) => [c.name, c.dir, c.strategy])).toEqual([
      ['original', 'original', 'original'],
      ['random', 'random', 'random'],
      ['./mine/my-strategy.js', '__mine_my-strategy.js', './mine/my-strategy.js'],
    ]);
    expect(errorOf(() => parseList('a,,b', '--strategies'))).toMatch(/an empty name/);
    expect(errorOf(() => parseList('a,b,a', '--strategies'))).toMatch(/"a" is named twice/);
  });

  it('engines: strategy x engine, named with the engine unless emulation runs alone', () => {
    const cells = strategyCells(['original', 'static'], parseEngines('sim,emu', '--engines'));
    expect(cells.map((c) => [c.name, c.base, c.engine, c.dir, c.strategy])).toEqual([
      ['original@sim', 'original', 'sim', 'original_sim', 'original'],
      ['original@emu', 'original', 'emu', 'original_emu', 'original'],
      ['static@sim', 'static', 'sim', 'static_sim', 'static'],
      ['static@emu', 'static', 'emu', 'static_emu', 'static'],
    ]);
    // the scenario's own strategy: named, not passed on
    expect(strategyCells(['original'], ['sim'], true).map((c) => [c.name, c.strategy])).toEqual([['original@sim', undefined]]);
    expect(gridCells([parseGridAxis('decision.epsilon=0,0.1')], 'sim').map((c) => [c.name, c.engine])).toEqual([
      ['decision.epsilon=0@sim', 'sim'],
      ['decision.epsilon=0.1@sim', 'sim'],
    ]);
    expect(errorOf(() => parseEngines('sim,foo', '--engines'))).toMatch(/--engines sim,foo: "foo" is not an engine; expected emu or sim/);
    expect(errorOf(() => parseEngines('sim,sim', '--engines'))).toMatch(/"sim" is named twice/);
  });

  it('the grid is the full cartesian product, first axis slowest, cells named by every value', () => {
    const cells = gridCells([parseGridAxis('decision.epsilon=0,0.1,0.3'), parseGridAxis('timing.feedbackWindowMs=10000,20000')]);
    expect(cells.map((c) => c.name)).toEqual([
      'decision.epsilon=0,timing.feedbackWindowMs=10000',
      'decision.epsilon=0,timing.feedbackWindowMs=20000',
      'decision.epsilon=0.1,timing.feedbackWindowMs=10000',
      'decision.epsilon=0.1,timing.feedbackWindowMs=20000',
      'decision.epsilon=0.3,timing.feedbackWindowMs=10000',
      'decision.epsilon=0.3,timing.feedbackWindowMs=20000',
    ]);
    expect(cells[3].sets.map((s) => [s.path, s.value])).toEqual([
      [['decision', 'epsilon'], 0.1],
      [['timing', 'feedbackWindowMs'], 20000],
    ]);
    expect(cells[3].params).toEqual({ 'decision.epsilon': '0.1', 'timing.feedbackWindowMs': '20000' });
    expect(new Set(cells.map((c) => c.dir)).size).toBe(6);
  });

  it('grid values may be maps; a path twice, a value twice or no value is an error', () => {
    const axis = parseGridAxis('apps[0].goal={metric: latency, max: 300},{metric: latency, max: 200}');
    expect(axis.values).toEqual(['{"metric":"latency","max":300}', '{"metric":"latency","max":200}']);
    expect(gridCells([axis])[1].sets[0].value).toEqual({ metric: 'latency', max: 200 });
    expect(errorOf(() => gridCells([parseGridAxis('decision.epsilon=0'), parseGridAxis('decision.epsilon=1')]))).toMatch(/the path is given twice/);
    expect(errorOf(() => parseGridAxis('decision.epsilon=0,0'))).toMatch(/the value 0 is given twice/);
    expect(errorOf(() => parseGridAxis('decision.epsilon='))).toMatch(/one or more values/);
    expect(errorOf(() => parseGridAxis('decision.epsilon'))).toMatch(/^--grid decision\.epsilon: expected path=value/);
  });
});
