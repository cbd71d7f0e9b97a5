import { availableParallelism } from 'node:os';
import { UserError } from '../../model/errors.js';
import { gridCells, parseEngines, parseGridAxis, parseList, parseSeeds, strategyCells, type Cell } from '../../controller/experiment/compare/plan.js';
import { runComparison } from '../../controller/experiment/compare/compare.js';
import type { CellRun } from '../../controller/experiment/compare/runner.js';
import type { Engine } from '../../controller/experiment/report.js';
import { parseDurationS } from '../commands/options.js';

interface CommonFlags {
  scenario: string;
  seeds: string;
  duration: string;
  out: string;
  parallel?: number;
  keepData?: boolean;
  retryFailed?: boolean;
  engine?: Engine;
}

export interface CompareFlags extends CommonFlags {
  strategies?: string;
  strategy?: string;
  engines?: string;
}

export interface SweepFlags extends CommonFlags {
  grid: string[];
  strategy?: string;
}

/** A name or path that cannot be a strategy fails here, not in every run (paths: from where you type them). */
async function checkStrategies(flag: string, specs: readonly string[]): Promise<void> {
  const { checkStrategySpec } = await import('../../decision/strategies/spec.js');
  for (const s of specs) {
    const why = checkStrategySpec(s, process.cwd());
    if (why) throw new UserError(`${flag} ${s}: ${why}`);
  }
}

/**
 * --duration: virtual seconds for the virtual-time engine (90, 90s, 10m, 1h), whole seconds of
 * real time (up to a day, as fogsim run takes them) when emulation runs.
 */
export function parseCompareDuration(text: string, engines: readonly Engine[]): number {
  const s = parseDurationS(text);
  if (engines.includes('emu') && !(Number.isInteger(s) && s <= 86_400)) {
    throw new UserError(`--duration ${text}: emulation (engine emu) runs whole seconds of real time, at most 86400 (1 day); got ${s} s: give a whole number of seconds`);
  }
  return s;
}

export async function compare(flags: CompareFlags): Promise<void> {
  if (flags.engine !== undefined && flags.engines !== undefined) throw new UserError('--engine and --engines: give one (--engines sim,emu runs both side by side)');
  const engines = flags.engines !== undefined ? parseEngines(flags.engines, '--engines') : [flags.engine ?? 'emu'];
  if (flags.strategies !== undefined && flags.strategy !== undefined) throw new UserError('--strategies and --strategy: give one (--strategy S is --strategies S)');
  let cells: Cell[];
  if (flags.strategies !== undefined || flags.strategy !== undefined) {
    const [flag, strategies] = flags.strategies !== undefined ? ['--strategies', parseList(flags.strategies, '--strategies')] : ['--strategy', [flags.strategy!]];
    await checkStrategies(flag, strategies);
    cells = strategyCells(strategies, engines);
  } else {
    // the scenario's own strategies, named as its report names them
    const { loadScenario } = await import('../../model/scenario.js');
    const { DEFAULT_STRATEGY } = await import('../../decision/strategies/spec.js');
    const sc = loadScenario(flags.scenario);
    cells = strategyCells([sc.apps.some((a) => a.strategy !== undefined) ? 'scenario' : (sc.strategy ?? DEFAULT_STRATEGY)], engines, true);
  }
  await runCommand('compare', flags, cells, parseCompareDuration(flags.duration, engines));
}

export async function sweep(flags: SweepFlags): Promise<void> {
  if (!flags.grid.length) throw new UserError('fogsim sweep needs at least one --grid path=value,value,... (e.g. --grid decision.epsilon=0,0.1,0.3)');
  if (flags.strategy !== undefined) await checkStrategies('--strategy', [flags.strategy]);
  const engine = flags.engine ?? 'emu';
  const cells = gridCells(flags.grid.map(parseGridAxis), engine).map((c) => (flags.strategy === undefined ? c : { ...c, strategy: flags.strategy }));
  await runCommand('sweep', flags, cells, parseCompareDuration(flags.duration, [engine]));
}

async function runCommand(kind: 'compare' | 'sweep', flags: CommonFlags, cells: Cell[], durationS: number): Promise<void> {
  const seeds = parseSeeds(flags.seeds);
  const parallel = flags.parallel ?? availableParallelism();
  const log = (line: string) => console.error(`fogsim: ${line}`);
  const abort = new AbortController();
  let signals = 0;
  const onSignal = () => {
    // a second Ctrl-C leaves at once (the runs' children get SIGTERM with the first)
    if (++signals > 1) process.exit(130);
    log('stopping the runs in progress (Ctrl-C again to leave at once); run the same command again to resume');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const total = cells.length * seeds.length;
  const engines = [...new Set(cells.map((c) => c.engine))];
  const strategies = new Set(cells.map((c) => c.base)).size;
  const what = kind === 'compare' ? `${strategies} ${strategies === 1 ? 'strategy' : 'strategies'}${engines.length > 1 ? ` x ${engines.length} engines (${engines.join(', ')})` : ''}` : `${cells.length} ${cells.length === 1 ? 'cell' : 'cells'}`;
  const where = engines.map((e) => (e === 'sim' ? 'sim: virtual time, in worker threads' : 'emu: fogsim run children')).join('; ');
  log(`${kind}: ${what} x ${seeds.length} seed(s) = ${total} run(s), ${parallel} at a time (${where}), in ${flags.out}`);
  const bar = process.stderr.isTTY ? await progressBar(total) : undefined;
  try {
    const r = await runComparison({
      kind,
      scenarioFile: flags.scenario,
      cells,
      seeds,
      durationS,
      outDir: flags.out,
      parallel,
      keepData: flags.keepData,
      retryFailed: flags.retryFailed,
      // the same fogsim as this one (compiled, or from sources with its loader)
      fogsim: { command: process.execPath, args: [...process.execArgv, process.argv[1]] },
      env: process.env,
      log: (line) => (bar ? bar.log(line) : log(line)),
      signal: abort.signal,
      onProgress: (p) => {
        if (bar) bar.update(p.done, p.running);
        else if (p.last) log(`[${p.done}/${p.total}] ${describe(p.last)}`);
      },
    });
    bar?.stop();
    const done = r.runs.filter((x) => x.status === 'done').length;
    const kept = r.keptFailed ? ` (${r.keptFailed} kept from before)` : '';
    console.log(`${total} run(s): ${done} run now, skipped ${r.skipped} finished, ${r.failed} failed${kept}${r.interrupted ? ', the rest interrupted' : ''}`);
    for (const f of r.runs.filter((x) => x.status === 'failed')) console.log(`  failed: ${f.cell.name} seed ${f.seed}: ${f.error}`);
    console.log(r.files.engines);
    console.log(`results: ${r.files.results}`);
    console.log(`summary: ${r.files.summary}`);
    console.log(`report:  ${r.files.html}`);
    if (r.interrupted) process.exitCode = 130;
  } finally {
    bar?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function describe(r: CellRun): string {
  const what = `${r.cell.name} seed ${r.seed}`;
  const secs = r.wallMs === null ? '' : ` (${(r.wallMs / 1000).toFixed(1)} s)`;
  if (r.status === 'failed') return `${what}: failed: ${r.error}${secs}`;
  if (r.status === 'interrupted') return `${what}: interrupted${secs}`;
  return `${what}: done${secs}`;
}

/** A cli-progress bar on stderr: the runs finished of all, and those running now. */
async function progressBar(total: number) {
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar({ format: 'fogsim {bar} {value}/{total} runs | {running}', stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 20 }, Presets.shades_classic);
  bar.start(total, 0, { running: '' });
  let stopped = false;
  return {
    update(done: number, running: string[]) {
      if (!stopped) bar.update(done, { running: running.length ? `running: ${running.join(', ')}` : '' });
    },
    log(line: string) {
      // a line above the bar, which is drawn again below it
      process.stderr.write(`\r\x1b[2Kfogsim: ${line}\n`);
      if (!stopped) bar.render();
    },
    stop() {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}
