import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchResult } from './types.js';

/*
 * A 1,000-node scenario written out in full (1,000 nodes, 499,500 links, 1,000 apps: about 22 MB of
 * YAML; FOGSIM_BENCH_LOAD_NODES changes the size), loaded and validated as a user does:
 * `fogsim validate FILE`, a whole process. Baselines, each a whole process on the same file: the
 * `yaml` package parsing it (the reader before model/yaml.ts), and js-yaml parsing it alone.
 * Alternated, best of two.
 */

const here = dirname(fileURLToPath(import.meta.url));
const exec = promisify(execFile);

function repoRoot(): string {
  for (const up of ['..', '../..']) if (existsSync(join(resolve(here, up), 'bin', 'fogsim.js'))) return resolve(here, up);
  throw new Error('bin/fogsim.js not found above bench/');
}

/** The scenario as a person would write it out, one link per line. */
export function writtenOutScenario(n: number): string {
  const lines = ['name: written-out', 'seed: 1', 'nodes:'];
  for (let i = 1; i <= n; i++) lines.push(`  - {id: ${i}, availability: ${60 + ((i * 37) % 40)}}`);
  lines.push('links:');
  for (let a = 1; a <= n; a++) for (let b = a + 1; b <= n; b++) lines.push(`  - {from: ${a}, to: ${b}, latencyMs: ${50 + ((a * 7919 + b * 104_729) % 1950)}}`);
  lines.push('dataset: {records: 20000, node: 1}', 'apps:');
  for (let i = 1; i <= n; i++) lines.push(`  - id: ${i}`, `    node: ${i}`, `    goal: {all: [{metric: responseTime, max: 1500}, {metric: availability, min: 80}]}`);
  return lines.join('\n') + '\n';
}

async function timed(args: string[], cwd: string): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  const { stdout } = await exec(process.execPath, args, { cwd, timeout: 600_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FOGSIM_LOG_LEVEL: 'silent' } });
  return { ms: performance.now() - t0, stdout };
}

export async function benchScenarioLoad(): Promise<BenchResult[]> {
  const root = repoRoot();
  const n = Number(process.env.FOGSIM_BENCH_LOAD_NODES ?? 1000);
  mkdirSync(join(root, 'bench', 'out'), { recursive: true });
  const file = join(root, 'bench', 'out', `written-out-${n}.yaml`);
  writeFileSync(file, writtenOutScenario(n));
  const mb = statSync(file).size / 1e6;
  const parseWith = (pkg: string, call: string) => `const t=require('node:fs').readFileSync(${JSON.stringify(file)},'utf8');const v=require('${pkg}').${call}(t);console.log(v.links.length)`;
  const best = { validate: Infinity, yaml: Infinity, jsyaml: Infinity };
  let out = '';
  for (let round = 0; round < 2; round++) {
    const v = await timed([join(root, 'bin', 'fogsim.js'), 'validate', file], root);
    out = v.stdout;
    best.validate = Math.min(best.validate, v.ms);
    best.yaml = Math.min(best.yaml, (await timed(['-e', parseWith('yaml', 'parse')], root)).ms);
    best.jsyaml = Math.min(best.jsyaml, (await timed(['-e', parseWith('js-yaml', 'load')], root)).ms);
  }
  if (!/^ok /.test(out)) throw new Error(`fogsim validate did not accept the written-out scenario: ${out.slice(0, 200)}`);
  const s = (ms: number) => Number((ms / 1000).toFixed(2));
  return [
    { name: `load: fogsim validate, ${n} nodes written out (${mb.toFixed(1)} MB), whole process`, value: s(best.validate), unit: 's', baseline: s(best.yaml), ratio: Number((best.yaml / best.validate).toFixed(1)), target: n === 1000 ? '<= 5' : undefined, note: 'baseline: the yaml package parsing the file alone (the reader before)' },
    { name: `load: js-yaml parsing the same file alone, whole process`, value: s(best.jsyaml), unit: 's', note: 'what validation adds is the difference' },
  ];
}
