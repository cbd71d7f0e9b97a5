import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { meshRaw } from './sim.bench.js';
import type { BenchResult } from './types.js';

/*
 * `fogsim sweep --engine sim` as whole processes (`node bin/fogsim.js`, the build in dist/): a
 * 16-cell sweep (decision.epsilon x timing.feedbackWindowMs, 4 x 4, one seed) of a 60-node mesh
 * (sim.bench.ts meshRaw; 600 s of virtual time, about a second of engine per run), run with
 * --parallel 1 and --parallel 2, alternating, best of two each. The runs go to worker threads of
 * the one process, so two workers should take the sweep close to twice as fast on two cores
 * (issue 16 asks >= 1.8x).
 */

const here = dirname(fileURLToPath(import.meta.url));
const exec = promisify(execFile);
const ROUNDS = 2;
const NODES = Number(process.env.FOGSIM_BENCH_SWEEP_NODES ?? 60);

function repoRoot(): string {
  for (const up of ['..', '../..']) {
    const dir = resolve(here, up);
    if (existsSync(join(dir, 'bin', 'fogsim.js'))) return dir;
  }
  throw new Error('bin/fogsim.js not found above bench/');
}

export async function benchSweep(): Promise<BenchResult[]> {
  const root = repoRoot();
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js missing: npm run build first (npm run bench does)');
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-bench-sweep-'));
  try {
    const scenario = join(dir, 'mesh.yaml');
    writeFileSync(scenario, toYaml(meshRaw(NODES)));
    const grid = ['--grid', 'decision.epsilon=0,0.1,0.2,0.3', '--grid', 'timing.feedbackWindowMs=100000,150000,210000,300000'];
    let k = 0;
    const sweep = async (parallel: number): Promise<number> => {
      const out = join(dir, `out-${k++}`);
      const t0 = performance.now();
      const { stdout } = await exec(process.execPath, [join(root, 'bin', 'fogsim.js'), 'sweep', '--engine', 'sim', '--scenario', scenario, ...grid, '--seeds', '1', '--duration', '600', '--out', out, '--parallel', String(parallel)], {
        cwd: root,
        timeout: 600_000,
        env: { ...process.env, FOGSIM_LOG_LEVEL: 'silent' },
      });
      const ms = performance.now() - t0;
      if (!/16 run\(s\): 16 run now, skipped 0 finished, 0 failed/.test(stdout)) throw new Error(`the sweep did not run its 16 cells: ${stdout}`);
      rmSync(out, { recursive: true, force: true });
      return ms;
    };
    const one: number[] = [];
    const two: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      one.push(await sweep(1));
      two.push(await sweep(2));
    }
    const [a, b] = [Math.min(...one), Math.min(...two)];
    return [
      {
        name: 'sweep --engine sim, 16 cells: --parallel 2 vs 1, whole processes',
        value: Math.round(b),
        unit: 'ms',
        baseline: Math.round(a),
        ratio: a / b,
        target: '>= 1.8x',
        note: `${NODES}-node mesh, 600 s virtual per run; best of ${ROUNDS} each, alternating; ${availableParallelism()} cores`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node --import tsx bench/sweep.bench.ts` runs it alone (the CLI measured is the build in dist/)
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const r of await benchSweep()) console.log(JSON.stringify(r));
}
