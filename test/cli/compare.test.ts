import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { haveChromium, launchChromium, openFileOffline } from '../helpers/browser.js';
import { afterAll, describe, expect, it } from 'vitest';
import { LOOP_METRIC_NAMES } from '../../controller/experiment/loop-metrics.js';
import { parseCsv } from '../../controller/experiment/report.js';
import { isolatedEnv } from '../helpers/env.js';

/*
 * fogsim compare and fogsim sweep end to end through the CLI (from sources, as the CI runs it):
 * every run a real `fogsim run` child with its own embedded stack and real node processes, on the
 * fast fixture for a few seconds; the vectors trained once. Then the outputs: results.csv,
 * summary.csv, and report.html opened in the real headless Chromium (Debian's package).
 */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fogsim-compare-'));
const SCENARIO = 'test/fixtures/thesis-fast.yaml';
const THROWS = 'test/fixtures/throwing-strategy.mjs';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fogsim(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, timeout: 150_000, env: isolatedEnv({ FOGSIM_DATA_DIR: join(dir, 'default-data'), FOGSIM_LOG_LEVEL: 'warn' }) });
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

async function countSvgs(file: string): Promise<{ svgs: number; visible: number; boxes: number; lines: number; errors: string[] }> {
  const browser: Browser = await launchChromium();
  try {
    const { page, errors } = await openFileOffline(browser, file);
    const svgs = await page.locator('svg').count();
    const boxes = await page.locator('svg.chart.box').count();
    const lines = await page.locator('svg.chart.line').count();
    // the box plots are on screen with their size; the runs' charts open with their <details>
    let visible = 0;
    for (const box of await page.locator('svg.chart.box').all()) if ((await box.boundingBox())?.width) visible++;
    return { svgs, visible, boxes, lines, errors };
  } finally {
    await browser.close();
  }
}

describe('fogsim compare and sweep', () => {
  const out = join(dir, 'compare');
  const args = ['compare', '--scenario', SCENARIO, '--strategies', `original,static,${THROWS}`, '--seeds', '1..2', '--duration', '20', '--out', out, '--parallel', '2'];

  it('compare: 3 strategies x 2 seeds, each its own run; a strategy that throws fails its rows, the others go on', async () => {
    const r = await fogsim(...args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/training the impact vectors once for thesis-fast/);
    expect(r.stdout).toMatch(/6 run\(s\): 4 run now, skipped 0 finished, 2 failed/);
    const rows = readCsv(join(out, 'results.csv'));
    expect(Object.keys(rows[0])).toEqual(['strategy', 'engine', 'seed', 'firstAction', ...LOOP_METRIC_NAMES, 'violatedS_app1', 'violatedS_app2', 'violatedS_app3', 'error']);
    expect(new Set(rows.map((x) => x.engine))).toEqual(new Set(['emu']));
    expect(rows.map((x) => `${x.strategy}/${x.seed}`)).toEqual(['original/1', 'original/2', 'static/1', 'static/2', `${THROWS}/1`, `${THROWS}/2`]);
    for (const x of rows.filter((x) => x.strategy !== THROWS)) {
      expect(x.error).toBe('');
      expect(Number(x.runs)).toBeGreaterThan(0);
      // the fixture starts app 1 violated (its data far away)
      expect(Number(x.violationEpisodes)).toBeGreaterThan(0);
    }
    // static never acts; the original repairs app 1
    for (const x of rows.filter((x) => x.strategy === 'static')) expect([x.actions, x.bytesMoved, x.repairedEpisodes]).toEqual(['0', '0', '0']);
    for (const x of rows.filter((x) => x.strategy === 'original')) expect(Number(x.actions)).toBeGreaterThan(0);
    for (const x of rows.filter((x) => x.strategy === THROWS)) {
      expect(x.error).toMatch(/strategy .*throwing-strategy\.mjs of app \d+.*this strategy always throws/);
      expect(x.runs).toBe('');
    }
    // each run on its own data folder, the trained vectors copied in, never trained again
    for (const x of rows.filter((x) => x.strategy !== THROWS)) {
      const log = readFileSync(join(out, 'cells', x.strategy, x.seed, 'run.log'), 'utf8');
      expect(log).not.toMatch(/training first/);
      expect(log).toMatch(/impact vectors: trained \(\d+: \d+ from .*cells\/\w+\/\d\/data\/training\/thesis-fast\)/);
    }
    const summary = readCsv(join(out, 'summary.csv'));
    expect(Object.keys(summary[0])).toEqual(['strategy', 'engine', 'metric', 'n', 'mean', 'sd', 'ci95Low', 'ci95High']);
    const actions = summary.find((x) => x.strategy === 'static' && x.metric === 'actions')!;
    expect(actions).toMatchObject({ n: '2', mean: '0', sd: '0' });
    expect(summary.find((x) => x.strategy === THROWS && x.metric === 'actions')).toMatchObject({ n: '0', mean: '' });
    expect(existsSync(join(out, 'cells', 'original', '1', 'report.html'))).toBe(true);
  }, 150_000);

  it('the same command again reruns nothing', async () => {
    const r = await fogsim(...args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/skipped 4 finished/);
    expect(r.stderr).toMatch(/kept 2 run\(s\) that failed on their input/);
    expect(r.stderr).not.toMatch(/training/);
    expect(r.stdout).toMatch(/0 run now, skipped 4 finished/);
    expect(readCsv(join(out, 'results.csv'))).toHaveLength(6);
  }, 60_000);

  it.skipIf(!haveChromium)('report.html and a run page open offline in headless Chromium and show their plots', async () => {
    const html = await countSvgs(join(out, 'report.html'));
    expect(html.errors).toEqual([]);
    // a box plot per loop metric (and per app's time in violation), all on screen
    expect(html.boxes).toBe(LOOP_METRIC_NAMES.length + 3);
    expect(html.visible).toBe(html.boxes);
    // per finished run: 3 apps x 2 goal metrics
    expect(html.lines).toBe(4 * 6);
    expect(html.svgs).toBe(html.boxes + html.lines);
    const page = await countSvgs(join(out, 'cells', 'original', '1', 'report.html'));
    expect(page.errors).toEqual([]);
    expect(page.lines).toBe(6);
  }, 60_000);

  it('sweep: a 2 x 2 grid writes one row per cell and seed, each cell run with its values', async () => {
    const sweep = join(dir, 'sweep');
    // the same scenario's vectors: trained once is enough (the folder is reused as is)
    cpSync(join(out, 'training-data'), join(sweep, 'training-data'), { recursive: true });
    const r = await fogsim('sweep', '--scenario', SCENARIO, '--grid', 'decision.epsilon=0,0.5', '--grid', 'timing.feedbackWindowMs=1000,2000', '--seeds', '3', '--duration', '10', '--out', sweep, '--parallel', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/training the impact vectors/);
    const rows = readCsv(join(sweep, 'results.csv'));
    expect(rows.map((x) => [x.cell, x['decision.epsilon'], x['timing.feedbackWindowMs'], x.seed, x.error])).toEqual([
      ['decision.epsilon=0,timing.feedbackWindowMs=1000', '0', '1000', '3', ''],
      ['decision.epsilon=0,timing.feedbackWindowMs=2000', '0', '2000', '3', ''],
      ['decision.epsilon=0.5,timing.feedbackWindowMs=1000', '0.5', '1000', '3', ''],
      ['decision.epsilon=0.5,timing.feedbackWindowMs=2000', '0.5', '2000', '3', ''],
    ]);
    // the run of a cell ran the scenario with that cell's values
    const report = JSON.parse(readFileSync(join(sweep, 'cells', 'decision.epsilon=0.5,timing.feedbackWindowMs=2000', '3', 'report.json'), 'utf8'));
    expect(report.feedbackWindowMs).toBe(2000);
    expect(readFileSync(join(sweep, 'cells', 'decision.epsilon=0.5,timing.feedbackWindowMs=2000', '3', 'run.log'), 'utf8')).toContain('--set decision.epsilon=0.5 --set timing.feedbackWindowMs=2000');
    expect(new Set(readCsv(join(sweep, 'summary.csv')).map((x) => x.cell)).size).toBe(4);
  }, 150_000);

  it('compare --engines sim,emu: the scenario\'s strategy on both engines, side by side, and how often they agree', async () => {
    const both = join(dir, 'engines');
    cpSync(join(out, 'training-data'), join(both, 'training-data'), { recursive: true });
    const r = await fogsim('compare', '--engines', 'sim,emu', '--scenario', SCENARIO, '--seeds', '1..2', '--duration', '15', '--out', both, '--parallel', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/training the impact vectors/);
    const rows = readCsv(join(both, 'results.csv'));
    expect(rows.map((x) => `${x.strategy}/${x.engine}/${x.seed}/${x.error}`)).toEqual(['original/sim/1/', 'original/sim/2/', 'original/emu/1/', 'original/emu/2/']);
    for (const x of rows) {
      const report = JSON.parse(readFileSync(join(both, 'cells', `original_${x.engine}`, x.seed, 'report.json'), 'utf8'));
      expect(report.engine).toBe(x.engine);
      expect(x.firstAction).toBe(report.events[0]?.action ?? 'none');
    }
    // the emulation's runs are fogsim run children; the simulation's ran in the compare process
    expect(readFileSync(join(both, 'cells', 'original_emu', '1', 'run.log'), 'utf8')).toContain('--duration 15');
    expect(existsSync(join(both, 'cells', 'original_sim', '1', 'run.log'))).toBe(false);
    const of = (engine: string, seed: string) => rows.find((x) => x.engine === engine && x.seed === seed)!;
    const agreeFirst = ['1', '2'].filter((s) => of('sim', s).firstAction === of('emu', s).firstAction).length;
    const agreeConverged = ['1', '2'].filter((s) => of('sim', s).converged === of('emu', s).converged).length;
    expect(r.stdout).toContain(`agreement sim vs emu: first action on ${agreeFirst}/2 seeds, converged (yes/no) on ${agreeConverged}/2 seeds`);
    expect(r.stdout).toMatch(/^original\s+sim\s+\d\/2\s/m);
    expect(r.stdout).toMatch(/^original\s+emu\s+\d\/2\s/m);
    const summary = readCsv(join(both, 'summary.csv'));
    expect(summary.find((x) => x.engine === 'sim,emu' && x.metric === 'agree.firstAction')).toMatchObject({ strategy: 'original', n: '2', mean: String(agreeFirst / 2) });
    expect(summary.find((x) => x.engine === 'sim,emu' && x.metric === 'agree.converged')).toMatchObject({ n: '2', mean: String(agreeConverged / 2) });
    expect(new Set(summary.filter((x) => x.metric === 'converged').map((x) => x.engine))).toEqual(new Set(['sim', 'emu']));
  }, 150_000);

  it('a --grid path the scenario does not have is a path-precise error before anything runs', async () => {
    const bad = join(dir, 'bad');
    const r = await fogsim('sweep', '--scenario', SCENARIO, '--grid', 'decision.epsilonn=0,0.1', '--seeds', '1', '--duration', '5', '--out', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`invalid scenario ${SCENARIO} with --grid decision.epsilonn=0`);
    expect(r.stderr).toContain('decision: unknown field(s) "epsilonn"');
    const value = await fogsim('sweep', '--scenario', SCENARIO, '--grid', 'decision.epsilon=0,2', '--seeds', '1', '--duration', '5', '--out', bad);
    expect(value.code).toBe(1);
    expect(value.stderr).toContain('decision.epsilon: must be <= 1');
    expect(existsSync(join(bad, 'training-data'))).toBe(false);
  }, 60_000);
});
