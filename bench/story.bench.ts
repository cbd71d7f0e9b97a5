import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExperimentReport } from '../controller/experiment/report.js';
import type { BenchResult } from './types.js';

/*
 * The default story (issue 13): `fogsim run --scenario scenarios/thesis.yaml --seed N` as whole
 * processes, as a user runs it, for seeds 1..10 (FOGSIM_STORY_SEEDS overrides, e.g. "1-3,42"),
 * then five repeats of seed 42 (FOGSIM_STORY_REPEATS) to see that a seed repeats its sequence of
 * actions. Every run starts from the same trained vectors (--fresh-vectors), trained once in a
 * shared data folder by the first run, so the runs are independent of one another.
 * Writes bench/out/story.md with one row per run.
 */

function seedList(spec: string): number[] {
  if (spec.trim() === '' || spec === 'none') return [];
  return spec.split(',').flatMap((part) => {
    const m = /^(\d+)-(\d+)$/.exec(part.trim());
    if (m) return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
    return [Number(part)];
  });
}

function runOnce(dataDir: string, seed: number, report: string): Promise<{ report: ExperimentReport; wallS: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/fogsim.js', 'run', '--scenario', 'scenarios/thesis.yaml', '--seed', String(seed), '--duration', '240', '--report', report, '--fresh-vectors'], {
      env: { ...process.env, FOGSIM_DATA_DIR: dataDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d) => (err = (err + String(d)).slice(-4000)));
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`fogsim run --seed ${seed} exited ${code}: ${err}`));
      resolve({ report: JSON.parse(readFileSync(report, 'utf8')) as ExperimentReport, wallS: (Date.now() - t0) / 1000 });
    });
  });
}

const sequence = (r: ExperimentReport) => r.events.map((e) => `${e.appId}:${e.action}`).join(' ');

export async function benchStory(): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fogsim-bench-story-'));
  const seeds = seedList(process.env.FOGSIM_STORY_SEEDS ?? '1-10');
  const repeats = Number(process.env.FOGSIM_STORY_REPEATS ?? 5);
  const rows: string[] = ['| run | seed | whole story | converged at (s) | wall (s) | apps acting | feedback rows | closed events | counters moved | copies/CR | open at end | time violated (s) | actions |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|'];
  const out: BenchResult[] = [];
  try {
    // the first run trains (once): it is left out of the table's timing
    await runOnce(dataDir, 1, join(dataDir, 'warm.json'));
    const all = [...seeds.map((s) => ({ label: `seed ${s}`, seed: s })), ...Array.from({ length: repeats }, (_, i) => ({ label: `seed 42 #${i + 1}`, seed: 42 }))];
    let whole = 0;
    const seqs42: string[] = [];
    for (const [i, x] of all.entries()) {
      const { report: r, wallS } = await runOnce(dataDir, x.seed, join(dataDir, `r${i}.json`));
      const c = r.story.checks;
      if (x.label.startsWith('seed ') && !x.label.includes('#') && c.whole) whole++;
      if (x.label.includes('#')) seqs42.push(sequence(r));
      const violated = Object.entries(r.story.violatedS).map(([a, v]) => `${a}: ${v.toFixed(0)}`).join(', ');
      rows.push(`| ${x.label} | ${x.seed} | ${c.whole ? 'yes' : 'no'} | ${r.convergedAtS ?? '-'} | ${wallS.toFixed(0)} | ${c.appsActing.join(', ')} | ${c.feedbackRows} | ${c.closedEvents} | ${c.countersChanged} | ${c.copiesOrChangeRefs} | ${c.openEventsAtEnd} | ${violated} | ${sequence(r)} |`);
      process.stderr.write(`story ${x.label}: whole=${c.whole} converged=${r.convergedAtS} ${sequence(r)}\n`);
    }
    const same = seqs42.length ? Math.max(...seqs42.map((s) => seqs42.filter((t) => t === s).length)) : 0;
    mkdirSync('bench/out', { recursive: true });
    writeFileSync('bench/out/story.md', `${rows.join('\n')}\n\nwhole story in ${whole} of ${seeds.length} seeds; seed 42 repeated its most common sequence ${same} of ${seqs42.length} times\n`);
    out.push({ name: `thesis.yaml seeds ${seeds[0]}..${seeds.at(-1)}: runs showing the whole story`, value: whole, unit: `of ${seeds.length}`, target: '>= 8 of 10', note: 'bench/out/story.md has the table' });
    out.push({ name: `seed 42 x ${seqs42.length}: repeats of the most common action sequence`, value: same, unit: `of ${seqs42.length}`, target: '>= 4 of 5' });
    return out;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
