import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '../../../controller/experiment/experiment.js';
import { readInfraConfig } from '../../../util/config.js';

// `fogsim run` end to end on the embedded servers: real node processes, real proxy latency,
// real S3 traffic; the thesis story at a tenth of its latencies.
describe('fogsim run (experiment)', () => {
  it('converges on the thesis scenario with app 1 violated at start, and reports it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-run-'));
    const cfg = { ...readInfraConfig({}), dataDir: dir, sqlitePath: join(dir, 'fogsim.db') };
    const lines: string[] = [];
    const { report, reportFile, csvFile } = await runExperiment({
      scenarioFile: 'test/fixtures/thesis-fast.yaml',
      cfg,
      durationS: 90,
      reportFile: join(dir, 'report.json'),
      log: (l) => lines.push(l),
      nodeEntry: 'nodes/main.ts',
      nodeExecArgv: ['--import', 'tsx'],
    });
    expect(lines.some((l) => l.startsWith('impact vectors missing'))).toBe(true);
    expect(report.converged).toBe(true);
    expect(report.convergedAtS).toBeGreaterThan(0);
    expect(report.convergedAtS!).toBeLessThanOrEqual(report.durationS);
    // the story: app 1 starts violated (data far away on node 3) and acts
    const app1 = report.apps.find((a) => a.id === 1)!;
    expect(app1.violations).toBeGreaterThan(0);
    expect(app1.actions.length).toBeGreaterThan(0);
    const header = readFileSync(csvFile, 'utf8').split('\n')[0].split(',');
    const rows = readFileSync(csvFile, 'utf8').trim().split('\n').slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
    const firstOfApp1 = rows.find((r) => r.appId === '1')!;
    expect(firstOfApp1).toMatchObject({ dataNode: '3', goalMet: 'false' });
    const firstAction = report.events.find((e) => e.appId === 1)!;
    expect(firstAction.action).toMatch(/^(M|C)\d_\d$|^CR\d$/);
    for (const a of report.apps) expect(a.goalMet).toBe(true);
    // every field of the report contract
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['converged', 'convergedAtS', 'durationS', 'runs', 'apps', 'events', 'placements', 'counters']));
    for (const e of report.events) expect(Object.keys(e)).toEqual(expect.arrayContaining(['id', 'appId', 'action', 'actionType', 'explored', 'createdAtS', 'feedback', 'globalFeedback']));
    expect(report.placements.some((p) => p.node !== 3 || p.referencedBy.includes(1))).toBe(true);
    expect(JSON.parse(readFileSync(reportFile, 'utf8')).runs).toBe(report.runs);
    expect(header).toContain('rtMs');
    expect(rows.length).toBe(report.runs);
  }, 180_000);
});
