import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../../controller/experiment/experiment.js';
import { UserError } from '../../../model/errors.js';
import { readInfraConfig } from '../../../util/config.js';

// `fogsim run` with a timeline, end to end on the embedded servers: real node processes, the
// steps applied by the session's scheduler through the admin UI's operations, a node taken down
// (its app stopped, reads of its copy failing on the data path) and brought back.

const fast = readFileSync('test/fixtures/thesis-fast.yaml', 'utf8');

function scenarioWith(dir: string, timeline: string): string {
  const file = join(dir, 'timeline.yaml');
  writeFileSync(file, `${fast.replace('name: thesis-fast', 'name: thesis-fast-timeline')}\n${timeline}\n`);
  return file;
}

describe('fogsim run with a timeline', () => {
  it('refuses a step past the duration, naming its path, before anything starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-tl-'));
    const cfg = { ...readInfraConfig({}), dataDir: dir, sqlitePath: join(dir, 'fogsim.db') };
    const file = scenarioWith(dir, 'timeline:\n  - { at: 5, do: { kind: nodeDown, node: 2 } }\n  - { at: 45, do: { kind: nodeUp, node: 2 } }');
    const err = await runExperiment({ scenarioFile: file, cfg, durationS: 30, reportFile: join(dir, 'r.json'), log: () => undefined }).then(() => undefined, (e: unknown) => e as UserError);
    expect(err).toBeInstanceOf(UserError);
    expect(err!.details).toEqual(['timeline[1].at: 45 s is past the duration of the run (30 s); move the step before 30 s or run longer (--duration)']);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it('applies the steps at their times, records them in the report, and converges only after the last', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-tl-'));
    const cfg = { ...readInfraConfig({}), dataDir: dir, sqlitePath: join(dir, 'fogsim.db') };
    const file = scenarioWith(
      dir,
      ['timeline:', '  - { at: 2, do: { kind: setLatency, from: 1, to: 2, latencyMs: 200 } }', '  - { at: 4, do: { kind: nodeDown, node: 2 } }', '  - { at: 9, do: { kind: nodeUp, node: 2 } }'].join('\n'),
    );
    const lines: string[] = [];
    const { report } = await runExperiment({
      scenarioFile: file,
      cfg,
      durationS: 60,
      reportFile: join(dir, 'report.json'),
      log: (l) => lines.push(l),
      nodeEntry: 'nodes/main.ts',
      nodeExecArgv: ['--import', 'tsx'],
    });
    expect(lines).toContain('timeline: 4 s: nodeDown node 2 (timeline[1])');
    expect(report.timeline.map((t) => [t.kind, t.source, t.error])).toEqual([
      ['setLatency', 'timeline', null],
      ['nodeDown', 'timeline', null],
      ['nodeUp', 'timeline', null],
    ]);
    const [lat, down, up] = report.timeline;
    expect(lat.args).toEqual({ from: 1, to: 2, latencyMs: 200 });
    expect(down.label).toBe('nodeDown node 2');
    // each at its time (the session's start is the run's start), give or take the scheduler
    expect(lat.atS).toBeGreaterThanOrEqual(2);
    expect(down.atS).toBeGreaterThanOrEqual(4);
    expect(up.atS).toBeGreaterThanOrEqual(9);
    expect(up.atS).toBeLessThan(12);

    const runs = readFileSync(join(dir, 'report.runs.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const t = (r: string[]) => (Number(r[2]) - report.startedAtMs) / 1000;
    // app 2 is stopped while its node is down: no run of it starts in the outage (a margin for the one in flight)
    expect(runs.filter((r) => r[1] === '2' && t(r) > down.atS + 1.5 && t(r) < up.atS)).toEqual([]);
    expect(runs.some((r) => r[1] === '2' && t(r) > up.atS)).toBe(true);
    // a read of a copy on node 2 in the outage fails on the data path, and says so
    for (const r of runs.filter((x) => x[3] === '2' && t(x) > down.atS + 0.5 && t(x) < up.atS - 0.5)) expect(r.join(',')).toContain('node 2 is down');
    if (report.converged) expect(report.convergedAtS!).toBeGreaterThan(up.atS);
  }, 240_000);
});
