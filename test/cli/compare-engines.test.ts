import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../controller/experiment/report.js';
import { isolatedEnv } from '../helpers/env.js';

/*
 * fogsim compare and sweep with the virtual-time engine (--engine sim) through the CLI, from
 * sources: every run sim/engine.ts in a worker thread of the compare process, no training, the
 * outputs as for emulation. (The engines side by side, sim and emu, are in compare.test.ts,
 * where the emulation's vectors are trained.)
 */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fogsim-compare-sim-'));
const SCENARIO = 'scenarios/thesis.yaml';
const THREADS = 'test/fixtures/thread-recording-strategy.mjs';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fogsim(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, timeout: 120_000, env: isolatedEnv({ FOGSIM_DATA_DIR: join(dir, 'default-data'), FOGSIM_LOG_LEVEL: 'warn', ...env }) });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function readCsv(file: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

describe('fogsim compare / sweep --engine sim', () => {
  const out = join(dir, 'compare');
  const args = ['compare', '--engine', 'sim', '--scenario', SCENARIO, '--strategies', 'original,static', '--seeds', '1..3', '--duration', '90s', '--out', out, '--parallel', '2'];

  it('runs every strategy x seed in virtual time, without training, each report marked sim', async () => {
    const r = await fogsim(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/training/);
    expect(existsSync(join(out, 'training-data'))).toBe(false);
    expect(r.stdout).toMatch(/6 run\(s\): 6 run now, skipped 0 finished, 0 failed/);
    const rows = readCsv(join(out, 'results.csv'));
    expect(rows.map((x) => `${x.strategy}/${x.engine}/${x.seed}`)).toEqual(['original/sim/1', 'original/sim/2', 'original/sim/3', 'static/sim/1', 'static/sim/2', 'static/sim/3']);
    for (const x of rows) {
      const report = JSON.parse(readFileSync(join(out, 'cells', `${x.strategy}_sim`, x.seed, 'report.json'), 'utf8'));
      expect(report.engine).toBe('sim');
      expect(report.strategy).toBe(x.strategy);
      expect(report.seed).toBe(Number(x.seed));
      // the virtual duration bounds the run, not the wall clock
      expect(report.durationS).toBeLessThanOrEqual(90);
      expect(x.firstAction).toBe(report.events[0]?.action ?? 'none');
      expect(Number(x.actions)).toBe(report.events.length);
      expect(existsSync(join(out, 'cells', `${x.strategy}_sim`, x.seed, 'report.runs.csv'))).toBe(true);
      expect(existsSync(join(out, 'cells', `${x.strategy}_sim`, x.seed, 'report.html'))).toBe(true);
    }
    // the thesis starts app 1 violated: the original acts, static never does
    for (const x of rows.filter((x) => x.strategy === 'static')) expect([x.firstAction, x.actions]).toEqual(['none', '0']);
    for (const x of rows.filter((x) => x.strategy === 'original')) expect(x.firstAction).not.toBe('none');
    // the summary: rows per strategy and engine, the converged runs' actions and the first actions' shares
    const summary = readCsv(join(out, 'summary.csv'));
    expect(Object.keys(summary[0])).toEqual(['strategy', 'engine', 'metric', 'n', 'mean', 'sd', 'ci95Low', 'ci95High']);
    expect(new Set(summary.map((s) => `${s.strategy}/${s.engine}`))).toEqual(new Set(['original/sim', 'static/sim']));
    const converged = rows.filter((x) => x.strategy === 'original' && x.converged === '1').length;
    expect(summary.find((s) => s.strategy === 'original' && s.metric === 'actionsToConverge')!.n).toBe(String(converged));
    expect(summary.find((s) => s.strategy === 'static' && s.metric === 'firstAction=none')).toMatchObject({ n: '3', mean: '1' });
    // one engine: no agreement
    expect(summary.some((s) => s.metric.startsWith('agree.'))).toBe(false);
    // the table on stdout: a row per strategy and engine, converged as x/n
    expect(r.stdout).toMatch(new RegExp(`^original\\s+sim\\s+${converged}/3\\s`, 'm'));
    expect(r.stdout).toMatch(/^static\s+sim\s+0\/3\s+- \/ -\s+none \(3\/3\)/m);
    expect(r.stdout).not.toMatch(/agreement/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<h2>Engines</h2>');
  }, 120_000);

  it('the same command again skips the finished runs', async () => {
    const before = readFileSync(join(out, 'cells', 'original_sim', '1', 'report.json'), 'utf8');
    const results = readFileSync(join(out, 'results.csv'), 'utf8');
    // the digest the worker left (what the outputs read of a run) is made again from the report when missing
    const digest = join(out, 'cells', 'original_sim', '3', 'report.digest.json');
    expect(existsSync(digest)).toBe(true);
    rmSync(digest);
    rmSync(join(out, 'cells', 'static_sim', '2'), { recursive: true });
    const r = await fogsim(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/skipped 5 finished/);
    expect(r.stdout).toMatch(/6 run\(s\): 1 run now, skipped 5 finished, 0 failed/);
    expect(r.stderr).toMatch(/static@sim seed 2: done/);
    expect(readFileSync(join(out, 'cells', 'original_sim', '1', 'report.json'), 'utf8')).toBe(before);
    expect(readCsv(join(out, 'results.csv'))).toHaveLength(6);
    // the same rows: the rerun run draws the same (one seed repeats a run), the digest made anew says the same
    expect(readFileSync(join(out, 'results.csv'), 'utf8')).toBe(results);
    expect(existsSync(digest)).toBe(true);
  }, 120_000);

  it('sweep --engine sim --parallel 2: the cells run in two worker threads of the one process', async () => {
    const sweep = join(dir, 'sweep');
    const threads = join(dir, 'threads.txt');
    const r = await fogsim(['sweep', '--engine', 'sim', '--scenario', SCENARIO, '--grid', 'decision.epsilon=0,0.3', '--grid', 'timing.feedbackWindowMs=10000,20000', '--seeds', '1..2', '--duration', '1m', '--strategy', THREADS, '--out', sweep, '--parallel', '2'], { FOGSIM_TEST_THREADS_FILE: threads });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/8 run\(s\): 8 run now, skipped 0 finished, 0 failed/);
    // the module loads once per thread that runs it: two threads, neither the main one, one process
    const lines = readFileSync(threads, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
    expect(lines).toHaveLength(2);
    expect(new Set(lines.map(([pid]) => pid)).size).toBe(1);
    expect(new Set(lines.map(([, t]) => t)).size).toBe(2);
    for (const [, t] of lines) expect(t).toBeGreaterThan(0);
    const rows = readCsv(join(sweep, 'results.csv'));
    expect(rows).toHaveLength(8);
    for (const x of rows) {
      expect([x.engine, x.error, x.firstAction]).toEqual(['sim', '', 'none']);
      const report = JSON.parse(readFileSync(join(sweep, 'cells', `${x.cell}_sim`, x.seed, 'report.json'), 'utf8'));
      expect(report.engine).toBe('sim');
      expect(report.feedbackWindowMs).toBe(Number(x['timing.feedbackWindowMs']));
    }
    expect(readdirSync(join(sweep, 'cells'))).toHaveLength(4);
  }, 120_000);

  it('a strategy that throws fails its runs (failure.json), the others go on', async () => {
    const bad = join(dir, 'throws');
    const r = await fogsim(['compare', '--engine', 'sim', '--scenario', SCENARIO, '--strategies', 'original,test/fixtures/throwing-strategy.mjs', '--seeds', '1..2', '--duration', '60', '--out', bad, '--parallel', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 run\(s\): 2 run now, skipped 0 finished, 2 failed/);
    const failure = JSON.parse(readFileSync(join(bad, 'cells', 'test_fixtures_throwing-strategy.mjs_sim', '1', 'failure.json'), 'utf8'));
    expect(failure.error).toMatch(/strategy test\/fixtures\/throwing-strategy\.mjs of app \d+: .*this strategy always throws/);
    // input the user fixes: kept failed on the next invocation, as emulation's exit 1
    expect(failure.exitCode).toBe(1);
    const again = await fogsim(['compare', '--engine', 'sim', '--scenario', SCENARIO, '--strategies', 'original,test/fixtures/throwing-strategy.mjs', '--seeds', '1..2', '--duration', '60', '--out', bad]);
    expect(again.stderr).toMatch(/kept 2 run\(s\) that failed on their input/);
  }, 120_000);

  it('bad engines and durations are errors naming the flag', async () => {
    const none = join(dir, 'never');
    const foo = await fogsim(['compare', '--engine', 'foo', '--scenario', SCENARIO, '--seeds', '1', '--duration', '10', '--out', none]);
    expect(foo.code).toBe(1);
    expect(foo.stderr).toMatch(/--engine <engine>.*foo.*expected one of sim, emu/);
    const list = await fogsim(['compare', '--engines', 'sim,foo', '--scenario', SCENARIO, '--seeds', '1', '--duration', '10', '--out', none]);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain('--engines sim,foo: "foo" is not an engine; expected emu or sim');
    const both = await fogsim(['compare', '--engine', 'sim', '--engines', 'sim,emu', '--scenario', SCENARIO, '--seeds', '1', '--duration', '10', '--out', none]);
    expect(both.stderr).toMatch(/--engine and --engines: give one/);
    const sweepFoo = await fogsim(['sweep', '--engine', 'foo', '--grid', 'decision.epsilon=0', '--scenario', SCENARIO, '--seeds', '1', '--duration', '10', '--out', none]);
    expect(sweepFoo.stderr).toMatch(/--engine <engine>.*foo/);
    // emulation runs whole seconds of real time; the virtual-time engine takes any duration
    const emuHalf = await fogsim(['compare', '--engines', 'sim,emu', '--scenario', SCENARIO, '--seeds', '1', '--duration', '1.5', '--out', none]);
    expect(emuHalf.code).toBe(1);
    expect(emuHalf.stderr).toMatch(/--duration 1\.5: emulation \(engine emu\) runs whole seconds/);
    const word = await fogsim(['compare', '--engine', 'sim', '--scenario', SCENARIO, '--seeds', '1', '--duration', 'soon', '--out', none]);
    expect(word.stderr).toMatch(/--duration: expected a duration such as 90, 90s, 10m or 1h/);
    expect(existsSync(none)).toBe(false);
  }, 120_000);
});
