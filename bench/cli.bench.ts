import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { benchFile } from './job.bench.js';
import type { BenchResult } from './types.js';

/*
 * The CLI as whole processes, as a user starts it (`node bin/fogsim.js ...`, which runs the build
 * in dist/): `fogsim --help` and `fogsim --version` (lazy loading: within 150 ms), and
 * `fogsim job --file` on the reference data set against a whole-process JSON.parse baseline
 * (`node -e`: read the file, JSON.parse it, average the cholesterol), run alternately, best of
 * three each. A bare `node -e ""` is timed beside them: what any Node process costs here.
 */

const here = dirname(fileURLToPath(import.meta.url));
const exec = promisify(execFile);
const ROUNDS = 3;

/** The repository root: the folder above bench/ (sources) or dist/bench/ (the build) that holds bin/fogsim.js. */
function repoRoot(): string {
  for (const up of ['..', '../..']) {
    const dir = resolve(here, up);
    if (existsSync(join(dir, 'bin', 'fogsim.js'))) return dir;
  }
  throw new Error('bin/fogsim.js not found above bench/');
}

/** Wall time of one process from spawn to exit; its stdout. */
async function timed(args: string[], cwd: string): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  const { stdout } = await exec(process.execPath, args, { cwd, timeout: 600_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, FOGSIM_LOG_LEVEL: 'silent' } });
  return { ms: performance.now() - t0, stdout };
}

const baselineScript = (path: string) => `const arr = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(path)}, 'utf8'));
let sum = 0, n = 0;
for (const r of arr) if (typeof r.cholesterol === 'number') { sum += r.cholesterol; n++; }
console.log(JSON.stringify({ avg: sum / n }));`;

export async function benchCli(): Promise<BenchResult[]> {
  const root = repoRoot();
  const bin = join(root, 'bin', 'fogsim.js');
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js missing: npm run build first (npm run bench does)');
  const { path, reference } = await benchFile();

  const best = (xs: number[]) => Math.min(...xs);
  const bare: number[] = [];
  const help: number[] = [];
  const version: number[] = [];
  let helpOk = true;
  let versionOut = '';
  for (let i = 0; i < ROUNDS; i++) {
    bare.push((await timed(['-e', ''], root)).ms);
    const h = await timed([bin, '--help'], root);
    help.push(h.ms);
    helpOk &&= /Commands:/.test(h.stdout);
    const v = await timed([bin, '--version'], root);
    version.push(v.ms);
    versionOut = v.stdout.trim();
  }

  // alternating, so that the load of a shared machine hits both alike
  const job: number[] = [];
  const jobInside: number[] = [];
  const base: number[] = [];
  let jobAvg: number | null = null;
  let baseAvg = NaN;
  for (let i = 0; i < ROUNDS; i++) {
    const j = await timed([bin, 'job', '--file', path], root);
    job.push(j.ms);
    const out = JSON.parse(j.stdout.trim().split('\n').pop()!) as { avg: number | null; rtMs: number };
    jobAvg = out.avg;
    jobInside.push(out.rtMs);
    const b = await timed(['-e', baselineScript(path)], root);
    base.push(b.ms);
    baseAvg = (JSON.parse(b.stdout.trim()) as { avg: number }).avg;
  }

  const what = reference ? 'reference file1.json (553,729 records, 322 MB)' : 'generated 100k records (reference file absent)';
  const bareMs = best(bare);
  return [
    { name: 'fogsim --help, whole process', value: best(help), unit: 'ms', baseline: bareMs, target: '<= 150 ms', note: `best of ${ROUNDS}; baseline: a bare node -e "" (${bareMs.toFixed(0)} ms)${helpOk ? '' : '; HELP OUTPUT MISSING'}` },
    { name: 'fogsim --version, whole process', value: best(version), unit: 'ms', baseline: bareMs, target: '<= 150 ms', note: `best of ${ROUNDS}; prints ${versionOut}` },
    {
      name: 'fogsim job --file vs JSON.parse, whole processes',
      value: best(job),
      unit: 'ms',
      baseline: best(base),
      ratio: best(base) / best(job),
      target: '>= 8x',
      note: `${what}; node bin/fogsim.js job --file vs node -e reading + JSON.parse + average; best of ${ROUNDS} each, alternating`,
    },
    {
      name: 'fogsim job --file: start-up and exit beyond the job',
      value: best(job.map((ms, i) => ms - jobInside[i])),
      unit: 'ms',
      note: `whole process minus the job's own response time (best ${best(jobInside).toFixed(0)} ms)`,
    },
    {
      name: 'fogsim job --file average vs JSON.parse',
      value: jobAvg ?? NaN,
      unit: 'mg/dL',
      baseline: baseAvg,
      target: '= JSON.parse baseline',
      note: jobAvg === baseAvg ? 'exact match' : `MISMATCH: ${jobAvg} vs ${baseAvg}`,
    },
  ];
}

// `node --import tsx bench/cli.bench.ts` runs it alone (the CLI measured is the build in dist/)
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const r of await benchCli()) console.log(JSON.stringify(r));
}
