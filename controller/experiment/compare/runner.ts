import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../../model/errors.js';
import { loadScenarioWithSets } from '../../../model/scenario-set.js';
import { validateTimeline } from '../../../model/timeline.js';
import { vectorsDirFor } from '../../../training/dirs.js';
import type { Cell } from './plan.js';
import { SimPool } from './sim-pool.js';

/*
 * The runs of `fogsim compare` / `fogsim sweep`: every cell x seed of an emulation cell as its own
 * `fogsim run` child process (its own embedded stack, its own FOGSIM_DATA_DIR under
 * DIR/cells/<cell>/<seed>/data), every run of a virtual-time cell (engine sim) on a pool of worker
 * threads (sim-pool.ts: no stack, no training, the engine derives its vectors), `parallel` at a
 * time in all. The impact vectors are trained once, in DIR/training-data, by a `fogsim
 * train` child, and copied into each run's data folder where `fogsim run` reads them, so no run
 * trains (each runs with --no-train --fresh-vectors: one seed repeats a run). Resumable: a run
 * whose report exists is finished and is not run again. A run that failed on its input (fogsim
 * run exited 1: a strategy that throws, a scenario it rejects) would fail the same way again: it
 * is kept failed (retryFailed runs it again); one that failed otherwise (a crash, a timeout, an
 * interrupt) runs again next time. The failure is kept in DIR/cells/<cell>/<seed>/failure.json.
 *
 *   DIR/compare.json                      what the folder holds (scenario, its digest, duration)
 *   DIR/training-data/                    the training's data folder; .trained once it succeeded
 *   DIR/cells/<cell>/<seed>/report.json   the run's report (+ report.runs.csv, report.html)
 *   DIR/cells/<cell>/<seed>/run.log       the child's output; failure.json ({error, exitCode}) when it failed
 *   DIR/cells/<cell>/<seed>/data/         the run's FOGSIM_DATA_DIR (removed once it finished, unless keepData)
 */

export interface RunnerOptions {
  kind: 'compare' | 'sweep';
  scenarioFile: string;
  cells: readonly Cell[];
  seeds: readonly number[];
  durationS: number;
  outDir: string;
  parallel: number;
  /** how to start fogsim: a command and the arguments before the subcommand */
  fogsim: { command: string; args: readonly string[] };
  /** the environment the children start from (the data folder and server settings are replaced) */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** called as runs start and end (the progress bar) */
  onProgress?: (p: { done: number; total: number; running: string[]; last?: CellRun }) => void;
  signal?: AbortSignal;
  /** longest a run may take beyond its duration before it is stopped (default 180 s) */
  graceMs?: number;
  /** run again the runs kept failed because they failed on their input (exit 1) */
  retryFailed?: boolean;
  /** keep each finished run's data folder (its store and object store); default: removed, the report, runs and page stay */
  keepData?: boolean;
}

export interface CellRun {
  cell: Cell;
  seed: number;
  dir: string;
  reportFile: string;
  status: 'done' | 'skipped' | 'failed' | 'interrupted';
  error: string | null;
  wallMs: number | null;
}

export interface RunnerResult {
  runs: CellRun[];
  skipped: number;
  /** runs kept failed from an earlier invocation (failed on their input) */
  keptFailed: number;
  failed: number;
  interrupted: boolean;
}

/**
 * Settings that point every child at one shared server: each run needs its own fresh stack, so
 * the children run on the embedded servers whatever the environment names.
 */
const SHARED_SERVER = /^FOGSIM_(MYSQL_URL|S3_ENDPOINT|TOXIPROXY_URL|KAFKA_BROKERS|PROXY_HOST|PROXY_LISTEN_HOST|PROXY_BASE_PORT|S3_UPSTREAM|SESSION)$/;

export function runDir(outDir: string, cell: Cell, seed: number): string {
  return join(outDir, 'cells', cell.dir, String(seed));
}

export const reportOf = (dir: string) => join(dir, 'report.json');

/** Finished: the run wrote its report (it writes the runs and the page before it). */
export const isFinished = (dir: string) => existsSync(reportOf(dir));

interface Failure {
  error: string;
  exitCode: number | null;
}

function readFailure(dir: string): Failure | undefined {
  try {
    const f = JSON.parse(readFileSync(join(dir, 'failure.json'), 'utf8')) as Partial<Failure>;
    return typeof f.error === 'string' ? { error: f.error, exitCode: typeof f.exitCode === 'number' ? f.exitCode : null } : undefined;
  } catch {
    return undefined;
  }
}

function childEnv(base: NodeJS.ProcessEnv, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!SHARED_SERVER.test(k) && k !== 'FOGSIM_DATA_DIR') env[k] = v;
  return { ...env, FOGSIM_DATA_DIR: dataDir, FOGSIM_LOG_LEVEL: base.FOGSIM_LOG_LEVEL ?? 'warn' };
}

/** The error a fogsim child printed last (`fogsim: ...` and its detail lines), else its exit. */
export function childError(output: string, code: number | null, signal: NodeJS.Signals | null): string {
  const lines = output.split('\n').filter((l) => l.trim() && !l.startsWith('(set FOGSIM_DEBUG'));
  let i = lines.length - 1;
  while (i >= 0 && !lines[i].startsWith('fogsim: ')) i--;
  const exit = signal ? `killed by ${signal}` : `exit code ${code}`;
  if (i < 0) return lines.length ? `${exit}: ${lines.slice(-3).join(' ')}` : exit;
  return lines
    .slice(i)
    .map((l, k) => (k === 0 ? l.slice('fogsim: '.length) : l.trim()))
    .join(' ');
}

interface Spawned {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

function start(o: RunnerOptions, args: string[], env: NodeJS.ProcessEnv, logFile: string): Spawned {
  const child = spawn(o.fogsim.command, [...o.fogsim.args, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  log.write(`$ fogsim ${args.join(' ')}\n`);
  let tail = '';
  const keep = (d: Buffer) => {
    log.write(d);
    tail = (tail + d.toString()).slice(-16_384);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((res) => {
    child.once('error', (err) => {
      tail += `\nfogsim: cannot start ${o.fogsim.command}: ${err.message}\n`;
    });
    child.once('close', (code, signal) => log.end(() => res({ code, signal, output: tail })));
  });
  return { child, done };
}

/** Every file of the trained vectors folder but the learned ones. */
function copyTrained(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true, filter: (src) => !src.startsWith(join(from, 'learned')) });
}

interface FolderPlan {
  kind: string;
  scenario: string;
  scenarioSha256: string;
  durationS: number;
}

/** The folder's record; a folder of another scenario or duration is refused (its runs would mix). */
function claimFolder(o: RunnerOptions): void {
  const file = join(o.outDir, 'compare.json');
  const mine: FolderPlan = {
    kind: o.kind,
    scenario: resolve(o.scenarioFile),
    scenarioSha256: createHash('sha256').update(readFileSync(o.scenarioFile)).digest('hex'),
    durationS: o.durationS,
  };
  if (existsSync(file)) {
    let theirs: Partial<FolderPlan> = {};
    try {
      theirs = JSON.parse(readFileSync(file, 'utf8')) as Partial<FolderPlan>;
    } catch {
      // unreadable: replaced below
    }
    const differs = (['kind', 'scenarioSha256', 'durationS'] as const).filter((k) => theirs[k] !== undefined && theirs[k] !== mine[k]);
    if (differs.length) {
      const what = differs.map((k) => (k === 'scenarioSha256' ? `another scenario (${theirs.scenario}, or the file changed since)` : k === 'kind' ? `a ${theirs.kind}` : `--duration ${theirs.durationS}`)).join(', ');
      throw new UserError(`--out ${o.outDir} holds ${what}; its runs would not compare with these: choose another --out, or remove the folder to start over`);
    }
  }
  mkdirSync(o.outDir, { recursive: true });
  writeFileSync(file, JSON.stringify(mine, null, 2) + '\n');
}

/** Trains the scenario's vectors once in DIR/training-data; returns the vectors folder. */
async function trainOnce(o: RunnerOptions, scenarioName: string): Promise<string> {
  const dataDir = join(o.outDir, 'training-data');
  const vectors = vectorsDirFor(dataDir, scenarioName);
  const marker = join(dataDir, '.trained');
  if (existsSync(marker) && existsSync(vectors)) return vectors;
  mkdirSync(dataDir, { recursive: true });
  o.log(`training the impact vectors once for ${scenarioName} in ${dataDir}`);
  const t0 = Date.now();
  const s = start(o, ['train', '--scenario', resolve(o.scenarioFile)], childEnv(o.env, dataDir), join(dataDir, 'train.log'));
  const onAbort = () => s.child.kill('SIGINT');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const r = await s.done;
  o.signal?.removeEventListener('abort', onAbort);
  if (o.signal?.aborted) throw new UserError('interrupted while training; run the same command again to resume');
  if (r.code !== 0 || !existsSync(vectors)) throw new UserError(`training failed (${childError(r.output, r.code, r.signal)}); see ${join(dataDir, 'train.log')}`);
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  o.log(`training: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return vectors;
}

export async function runCells(o: RunnerOptions): Promise<RunnerResult> {
  // every cell's scenario validates before anything runs (path-precise errors name the flag),
  // its timeline within the duration
  const names = new Map(
    o.cells.map((c) => {
      const { scenario } = loadScenarioWithSets(o.scenarioFile, c.sets);
      validateTimeline(scenario, o.durationS);
      return [c.name, scenario.name];
    }),
  );
  const base = loadScenarioWithSets(o.scenarioFile, []).scenario;
  claimFolder(o);
  const runs: CellRun[] = [];
  for (const cell of o.cells) {
    for (const seed of o.seeds) {
      const dir = runDir(o.outDir, cell, seed);
      const failure = isFinished(dir) ? undefined : readFailure(dir);
      const kept = failure?.exitCode === 1 && !o.retryFailed;
      runs.push({ cell, seed, dir, reportFile: reportOf(dir), status: isFinished(dir) ? 'skipped' : kept ? 'failed' : 'interrupted', error: kept ? failure!.error : null, wallMs: null });
    }
  }
  const pending = runs.filter((r) => r.status === 'interrupted');
  const skipped = runs.filter((r) => r.status === 'skipped').length;
  const keptFailed = runs.filter((r) => r.status === 'failed').length;
  if (skipped) o.log(`skipped ${skipped} finished run(s) (their reports exist in ${join(o.outDir, 'cells')})`);
  if (keptFailed) o.log(`kept ${keptFailed} run(s) that failed on their input as failed (--retry-failed runs them again)`);
  if (!pending.length) return { runs, skipped, keptFailed, failed: keptFailed, interrupted: false };

  // only emulation needs trained vectors
  const vectors = pending.some((r) => r.cell.engine === 'emu') ? await trainOnce(o, base.name) : '';
  const simRuns = pending.filter((r) => r.cell.engine === 'sim').length;
  const pool = simRuns ? new SimPool(Math.max(1, Math.min(o.parallel, simRuns))) : undefined;
  const grace = o.graceMs ?? 180_000;
  let done = skipped + keptFailed;
  /** each run in progress and how to stop it */
  const running = new Map<CellRun, () => void>();
  const progress = (last?: CellRun) => o.onProgress?.({ done, total: runs.length, running: [...running.keys()].map((r) => `${r.cell.name} seed ${r.seed}`), last });
  progress();

  const failedWith = (r: CellRun, failure: Failure) => {
    r.status = 'failed';
    r.error = failure.error;
    rmSync(r.reportFile, { force: true });
    writeFileSync(join(r.dir, 'failure.json'), JSON.stringify(failure, null, 2) + '\n');
  };

  const simulateOne = async (r: CellRun) => {
    rmSync(r.dir, { recursive: true, force: true });
    mkdirSync(r.dir, { recursive: true });
    const t0 = Date.now();
    // the pool's stop (on abort) ends the worker that holds it
    running.set(r, () => undefined);
    progress();
    const res = await pool!.run({ scenarioFile: resolve(o.scenarioFile), sets: r.cell.sets, seed: r.seed, durationS: o.durationS, reportFile: r.reportFile, strategy: r.cell.strategy });
    running.delete(r);
    r.wallMs = Date.now() - t0;
    if (o.signal?.aborted) {
      rmSync(r.reportFile, { force: true });
      r.status = 'interrupted';
    } else if (res.ok && isFinished(r.dir)) r.status = 'done';
    // as `fogsim run` exiting 1: input the user fixes is kept failed
    else failedWith(r, { error: res.ok ? 'the simulation wrote no report' : res.error, exitCode: !res.ok && res.input ? 1 : null });
    done++;
    progress(r);
  };

  const runOne = async (r: CellRun) => {
    if (r.cell.engine === 'sim') return simulateOne(r);
    rmSync(r.dir, { recursive: true, force: true });
    const dataDir = join(r.dir, 'data');
    copyTrained(vectors, vectorsDirFor(dataDir, names.get(r.cell.name)!));
    const args = ['run', '--scenario', resolve(o.scenarioFile), '--duration', String(o.durationS), '--report', r.reportFile, '--seed', String(r.seed), '--no-train', '--fresh-vectors'];
    if (r.cell.strategy !== undefined) args.push('--strategy', r.cell.strategy);
    for (const s of r.cell.sets) args.push('--set', s.text);
    const t0 = Date.now();
    const s = start(o, args, childEnv(o.env, dataDir), join(r.dir, 'run.log'));
    running.set(r, () => s.child.kill('SIGTERM'));
    progress();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      s.child.kill('SIGTERM');
      setTimeout(() => s.child.kill('SIGKILL'), 15_000).unref();
    }, o.durationS * 1000 + grace);
    const res = await s.done;
    clearTimeout(timer);
    running.delete(r);
    r.wallMs = Date.now() - t0;
    if (o.signal?.aborted) {
      // stopped early, its report (if any) does not hold a whole run: it runs again next time
      rmSync(r.reportFile, { force: true });
      r.status = 'interrupted';
    } else if (res.code === 0 && isFinished(r.dir) && !timedOut) {
      r.status = 'done';
      if (!o.keepData) rmSync(dataDir, { recursive: true, force: true });
    } else {
      const error = timedOut ? `stopped: still running ${((o.durationS * 1000 + grace) / 1000).toFixed(0)} s after its start (duration ${o.durationS} s)` : childError(res.output, res.code, res.signal);
      failedWith(r, { error, exitCode: timedOut ? null : res.code });
    }
    done++;
    progress(r);
  };

  const onAbort = () => {
    for (const stop of running.values()) stop();
    void pool?.stop();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let next = 0;
    const worker = async () => {
      while (next < pending.length && !o.signal?.aborted) await runOne(pending[next++]);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel, pending.length)) }, worker));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await pool?.stop();
  }
  return { runs, skipped, keptFailed, failed: runs.filter((r) => r.status === 'failed').length, interrupted: !!o.signal?.aborted };
}
