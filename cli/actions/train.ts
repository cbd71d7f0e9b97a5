import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { assertEmulable, loadScenario, type Scenario } from '../../model/scenario.js';
import { UserError } from '../../model/errors.js';
import { METRICS, vectorToArray } from '../../model/metrics.js';
import { readInfraConfig } from '../../util/config.js';
import { checkTrainOptions, trainScenario, type TrainingEvent, type TrainResult } from '../../training/train.js';
import { importVectors } from '../../training/import.js';
import { trainingInfraFrom } from '../../training/infra.js';
import { openStore } from '../../db/open.js';
import { startInfra } from '../../infra/infra.js';
import { appDir, writeVectorFile, type ImportedVector } from '../../training/files.js';
import { learnedDirFor, vectorsDirFor } from '../../training/dirs.js';

export interface TrainFlags {
  scenario?: string;
  iterations?: string;
  app?: string;
  out?: string;
  concurrency?: string;
  import?: string;
  fresh?: boolean;
}

function wholeNumber(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${flag}: expected a whole number >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function appList(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((x) => {
    const n = Number(x.trim());
    if (!Number.isInteger(n) || n < 1) throw new UserError(`--app: expected an app id (or a comma-separated list), got ${JSON.stringify(x)}`);
    return n;
  });
}

const fmt = (v: number) => (v >= 0 ? ' ' : '') + v.toFixed(3);

/** Progress on a terminal: one bar with ETA; elsewhere (CI, pipes): one plain line per event. */
function progressReporter(tty: boolean): { onEvent: (e: TrainingEvent) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  const say = (line: string) => {
    if (!bar) return console.log(line);
    // clear the bar's line, print above it, draw the bar again
    process.stdout.write(`\r\x1b[2K${line}\n`);
    bar.render();
  };
  return {
    onEvent(e) {
      switch (e.kind) {
        case 'info':
          say(e.message);
          break;
        case 'start':
          say(`training apps ${e.apps.join(', ')}: ${e.totalPairs} pair(s) to train, ${e.skippedPairs} already done, ${e.totalMeasurements} job run(s) to measure`);
          if (tty && e.totalMeasurements > 0) {
            bar = new cliProgress.SingleBar(
              { format: 'training |{bar}| {percentage}% | {value}/{total} runs | ETA {eta_formatted} | {last}', etaBuffer: 12, hideCursor: true, clearOnComplete: false },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.totalMeasurements, 0, { last: '' });
          }
          break;
        case 'measured': {
          const last = `app ${e.appId} data on ${e.node} it ${e.iteration + 1}: RT ${e.metrics.responseTime.toFixed(0)} ms`;
          if (bar) bar.update(e.done, { last });
          else console.log(`[${e.done}/${e.total}] ${last} (latency ${e.latencyMs.toFixed(0)} ms)`);
          break;
        }
        case 'pair':
          if (!bar) console.log(`app ${e.appId}: M${e.pair.x}_${e.pair.y} = ${vectorToArray(e.move).map(fmt).join(',')} (${e.pairsDone}/${e.totalPairs} pairs)`);
          break;
        case 'app':
          say(`app ${e.appId}: done, ${e.vectors} vectors`);
          break;
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

function printSummary(r: TrainResult, tty: boolean): void {
  // compact rows; colours only on a terminal (pipes and CI logs get plain text)
  const style = { compact: true, ...(tty ? {} : { head: [] as string[], border: [] as string[] }) };
  const apps = new Table({ style, head: ['app', 'node', 'pairs trained', 'pairs already done', 'runs', 'mean RT by data node (ms)', 'time (s)', 'state'] });
  for (const a of r.apps) {
    const rts = Object.entries(a.meanRtMs).map(([n, v]) => `${n}: ${v.toFixed(0)}`).join(', ');
    apps.push([a.appId, a.node, a.pairsTrained, a.pairsSkipped, a.measurements, rts || '-', (a.wallMs / 1000).toFixed(1), a.finished ? 'done' : 'interrupted']);
  }
  console.log(apps.toString());
  const vectors = new Table({ style, head: ['app', 'action', ...METRICS.map((m) => ({ responseTime: 'RT', executionTime: 'ET', throughput: 'X', latency: 'NL', availability: 'A', consistency: 'DC' })[m])] });
  for (const a of r.apps) {
    for (const [label, v] of Object.entries(a.vectors).sort(([x], [y]) => x.localeCompare(y, 'en', { numeric: true }))) {
      vectors.push([a.appId, label, ...vectorToArray(v).map(fmt)]);
    }
  }
  if (vectors.length) console.log(vectors.toString());
  console.log(
    `${r.interrupted ? 'interrupted' : 'trained'}: ${r.pairsTrained} pair(s) in ${(r.wallMs / 1000).toFixed(1)} s, ${r.measurements} run(s), N = ${r.iterations}` +
      (r.outDir ? `; files in ${r.outDir}/app-<id>/` : ''),
  );
}

async function runImport(flags: TrainFlags): Promise<void> {
  const scenario: Scenario | undefined = flags.scenario ? loadScenario(flags.scenario) : undefined;
  const apps = appList(flags.app);
  if (apps && apps.length > 1) throw new UserError('--app: give one app id with --import');
  const cfg = readInfraConfig();
  // with a scenario the files also go where `fogsim run` / `fogsim up` read them
  const outDir = flags.out ?? (scenario ? vectorsDirFor(cfg.dataDir, scenario.name) : undefined);
  // an import touches the store alone: no object store or proxy to start
  const store = await openStore(cfg);
  let got: ImportedVector[];
  try {
    got = await importVectors({ dir: flags.import!, store, scenario, appId: apps?.[0] });
  } finally {
    await store.close();
  }
  if (outDir) for (const v of got) await writeVectorFile(appDir(outDir, v.appId), v.label, v.vector);
  const perApp = new Map<number, number>();
  for (const v of got) perApp.set(v.appId, (perApp.get(v.appId) ?? 0) + 1);
  const where = [`the ${store.kind} store${store.kind === 'sqlite' ? ` (${cfg.sqlitePath})` : ''}`, ...(outDir ? [`${outDir}/app-<id>/`] : [])];
  console.log(`imported ${got.length} vector(s) from ${flags.import}: ${[...perApp].map(([a, n]) => `app ${a}: ${n}`).join(', ')}; written to ${where.join(' and ')}`);
  if (scenario && !flags.out) {
    console.log(`\`fogsim run --scenario ${flags.scenario}\` and \`fogsim up\` with it read them from ${outDir}`);
  } else if (!scenario) {
    console.log(`note: \`fogsim run\` starts on a fresh store and reads vector files from ${join(cfg.dataDir, 'training', '<scenario name>')}; give --scenario S to import them there too`);
  }
  if (outDir) {
    const learned = learnedDirFor(outDir);
    if (existsSync(learned)) console.log(`note: ${learned} holds vectors learned in earlier runs; run and up start from those over these (--fresh-vectors: from these alone)`);
  }
}

/** `fogsim train`: trains the scenario, or imports vector files with --import */
export async function train(flags: TrainFlags): Promise<void> {
  if (flags.import) return runImport(flags);
  if (!flags.scenario) throw new UserError('--scenario: required (e.g. fogsim train --scenario scenarios/thesis.yaml), or --import DIR to import vector files');
  const scenario = loadScenario(flags.scenario);
  // training runs the emulated stack
  assertEmulable(scenario);
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nstopping: the current runs finish, nothing half-done is stored (Ctrl-C again to quit at once)\n');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = progressReporter(!!process.stdout.isTTY);
  let result: TrainResult;
  try {
    const options = {
      scenario,
      iterations: wholeNumber('--iterations', flags.iterations, 1),
      appIds: appList(flags.app),
      outDir: flags.out,
      concurrency: wholeNumber('--concurrency', flags.concurrency, 1),
      fresh: flags.fresh,
      signal: ac.signal,
      onEvent: progress.onEvent,
    };
    // bad options are refused before anything starts
    checkTrainOptions(options);
    // the one bring-up (infra/infra.ts), started once for this command and stopped after it;
    // the embedded proxy on any free port, so that a running `fogsim up` keeps 8474
    const infra = await startInfra(readInfraConfig(), { proxyPort: 0 });
    try {
      const training = await trainingInfraFrom(infra, scenario);
      for (const message of training.describe) progress.onEvent({ kind: 'info', message });
      result = await trainScenario({ ...options, infra: training });
    } finally {
      await infra.close();
    }
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
  }
  printSummary(result, !!process.stdout.isTTY);
  if (result.interrupted) {
    console.log(`finished pairs are stored; rerun \`fogsim train --scenario ${flags.scenario}\` to resume`);
    process.exitCode = 130;
  }
}
