import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../../model/scenario.js';
import { simulate } from '../../../../sim/engine.js';
import { BUILTIN_STRATEGIES } from '../../../../decision/strategies/registry.js';
import { actionsToConverge, engineTable, firstAction, formatEngineTable } from '../../../../controller/experiment/compare/engines.js';
import { strategyCells } from '../../../../controller/experiment/compare/plan.js';
import type { ExperimentReport } from '../../../../controller/experiment/report.js';

/*
 * The engines table (controller/experiment/compare/engines.ts) over real reports of the
 * virtual-time engine: one "engine" given the original's runs, the other the original's on some
 * seeds and static's on the rest, so that the agreement must count exactly the seeds that match.
 */
const thesis = loadScenario(fileURLToPath(new URL('../../../../scenarios/thesis.yaml', import.meta.url)));
const seeds = [1, 2, 3, 4];
const reportOf = (seed: number, strategy: 'original' | 'static'): ExperimentReport => {
  const strategies = new Map(thesis.apps.map((a) => [a.id, BUILTIN_STRATEGIES[strategy]]));
  return simulate({ ...thesis, seed }, { durationS: 120, strategies, strategy }).report;
};

describe('the engines table', () => {
  const [sim, emu] = strategyCells(['original'], ['sim', 'emu']);
  const runs = [
    ...seeds.map((seed) => ({ cell: sim, seed, report: reportOf(seed, 'original'), metrics: null })),
    // seeds 3 and 4 "disagree": static never acts and never converges on the thesis
    ...seeds.map((seed) => ({ cell: emu, seed, report: reportOf(seed, seed >= 3 ? 'static' : 'original'), metrics: null })),
  ];

  it('counts per engine converged runs, actions to converge, the most common first action', () => {
    const t = engineTable([sim, emu], runs);
    expect(t.rows.map((r) => [r.base, r.engine])).toEqual([
      ['original', 'sim'],
      ['original', 'emu'],
    ]);
    const simRuns = runs.filter((r) => r.cell === sim).map((r) => r.report);
    expect(t.rows[0].converged).toBe(simRuns.filter((r) => r.converged).length);
    expect(t.rows[0].actionsToConverge.n).toBe(t.rows[0].converged);
    const acts = simRuns.map(actionsToConverge).filter((v): v is number => v !== null);
    expect(t.rows[0].actionsToConverge.mean).toBeCloseTo(acts.reduce((s, x) => s + x, 0) / acts.length, 10);
    // every converged run took actions, each up to its convergence
    for (const r of simRuns.filter((r) => r.converged)) expect(actionsToConverge(r)).toBeGreaterThan(0);
    expect(t.rows[1].firstActions.find((f) => f.label === 'none')?.runs).toBe(2);
    const labels = simRuns.map(firstAction);
    expect(t.rows[0].firstAction!.runs).toBe(Math.max(...labels.map((l) => labels.filter((x) => x === l).length)));
  });

  it('agreement: the seeds on which the first action and converged match', () => {
    const t = engineTable([sim, emu], runs);
    expect(t.agreements).toHaveLength(1);
    const a = t.agreements[0];
    expect(a).toMatchObject({ base: 'original', engines: ['sim', 'emu'], seeds: 4 });
    // seeds 1, 2: the same run twice; 3, 4: the original acts first, static never does
    expect(a.perSeed.map((p) => p.first[0] === p.first[1])).toEqual([true, true, false, false]);
    expect(a.firstAction).toBe(2);
    const original = seeds.map((s) => reportOf(s, 'original').converged);
    expect(a.converged).toBe(2 + original.slice(2).filter((c) => !c).length);
    const text = formatEngineTable(t, 'strategy');
    expect(text).toContain(`agreement sim vs emu: first action on 2/4 seeds, converged (yes/no) on ${a.converged}/4 seeds`);
    // a seed only one engine finished is not compared
    const partial = engineTable([sim, emu], runs.filter((r) => !(r.cell === emu && r.seed === 4)));
    expect(partial.agreements[0].seeds).toBe(3);
    // one engine: no agreement
    expect(engineTable([sim], runs.filter((r) => r.cell === sim)).agreements).toEqual([]);
  });
});
