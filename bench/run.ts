import { mkdirSync, writeFileSync } from 'node:fs';
import type { BenchResult } from './types.js';

/*
 * `npm run bench [-- name ...]`: runs each benchmark module, one after the other (they
 * would disturb each other on two cores), prints a table and writes bench/out/latest.{json,md}.
 * Every figure that matters is a ratio against a baseline run side by side in the same
 * process and moment, so the machine's load affects both sides alike.
 */
const suites: Record<string, () => Promise<BenchResult[]>> = {
  job: async () => (await import('./job.bench.js')).benchJob(),
  jobpath: async () => (await import('./job-path.bench.js')).benchJobPath(),
  cli: async () => (await import('./cli.bench.js')).benchCli(),
  objectstore: async () => (await import('./objectstore.bench.js')).benchObjectStore(),
  proxy: async () => (await import('./proxy.bench.js')).benchProxy(),
  training: async () => (await import('./training.bench.js')).benchTraining(),
  kafka: async () => (await import('./kafka.bench.js')).benchKafka(),
  story: async () => (await import('./story.bench.js')).benchStory(),
  sim: async () => (await import('./sim.bench.js')).benchSim(),
  load: async () => (await import('./scenario-load.bench.js')).benchScenarioLoad(),
  generators: async () => (await import('./generators.bench.js')).benchGenerators(),
  sweep: async () => (await import('./sweep.bench.js')).benchSweep(),
  apiload: async () => (await import('./api-load.bench.js')).benchApiLoad(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !(w in suites));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(suites).join(', ')}`);
  process.exit(1);
}
const names = wanted.length ? wanted : Object.keys(suites);

const fmt = (n: number | undefined) => (n === undefined ? '' : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3));
const rows: (BenchResult & { suite: string })[] = [];
let failed = false;
for (const name of names) {
  const t0 = Date.now();
  process.stderr.write(`bench ${name} ...\n`);
  try {
    const results = await suites[name]();
    for (const r of results) rows.push({ suite: name, ...r });
    process.stderr.write(`bench ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (e) {
    failed = true;
    rows.push({ suite: name, name: 'error', value: NaN, unit: '', note: (e as Error).message });
  }
}

const header = '| suite | figure | value | unit | baseline | ratio | target | note |\n|---|---|---|---|---|---|---|---|';
// an exact figure (the average) is shown to the last digit; speeds and times are rounded
const show = (r: BenchResult, n: number | undefined) => (n !== undefined && r.target?.startsWith('=') ? String(n) : fmt(n));
const md = [header, ...rows.map((r) => `| ${r.suite} | ${r.name} | ${show(r, r.value)} | ${r.unit} | ${show(r, r.baseline)} | ${r.ratio === undefined ? '' : `${fmt(r.ratio)}x`} | ${r.target ?? ''} | ${r.note ?? ''} |`)].join('\n');
console.log(md);
mkdirSync('bench/out', { recursive: true });
const meta = { at: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length };
writeFileSync('bench/out/latest.json', JSON.stringify({ ...meta, rows }, null, 2));
writeFileSync('bench/out/latest.md', `Measured ${meta.at}, Node ${meta.node}, ${meta.cpus} cores\n\n${md}\n`);
if (failed) process.exitCode = 1;
