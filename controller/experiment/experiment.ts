import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { InfraConfig } from '../../util/config.js';
import { startSession, type SessionOptions } from '../session.js';
import { vectorsDirFor } from '../../training/dirs.js';
import { readConvergence } from './convergence.js';
import { buildReport, runsToCsv } from './report.js';
import type { Store } from '../../db/store.js';
import type { RunRow } from '../../model/types.js';
import type { NodeStatus } from '../runtime/runtime.js';
import { StrategyError } from '../../decision/strategies/types.js';
import { strategySpecFor } from '../../decision/strategies/spec.js';
import { writeRunOutputs, type ExperimentResult } from './run-outputs.js';
import { loadScenario } from '../../model/scenario.js';
import { validateTimeline } from '../../model/timeline.js';
import { stringify as toYaml } from 'yaml';
import type { ScenarioSet } from '../../model/scenario-set.js';

export { writeRunOutputs, type ExperimentResult } from './run-outputs.js';

export interface ExperimentOptions extends Omit<SessionOptions, 'cfg'> {
  cfg: InfraConfig;
  durationS: number;
  reportFile: string;
  /** how often convergence is checked */
  pollMs?: number;
  /** overrides of scenario fields (fogsim run --set path=value), applied to the raw YAML before validation */
  sets?: readonly ScenarioSet[];
}


/**
 * A bounded experiment: a fresh embedded store and object store under <dataDir>/runs/<stamp>
 * (so app 1 starts violated every time and one seed repeats a run), the impact vectors of earlier
 * trainings reused, the nodes run until convergence or the duration, then the JSON report and the
 * runs as CSV and its page (HTML) beside it. With sets, the scenario as overridden is written to
 * <runDir>/scenario.yaml and the session (its node processes too) runs that file.
 */
export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(o.cfg.dataDir, 'runs', stamp);
  const cfg: InfraConfig = { ...o.cfg, dataDir: runDir, sqlitePath: join(runDir, 'fogsim.db') };
  const scenarioFile = o.sets?.length ? await writeScenarioWithSets(o.scenarioFile, o.sets, runDir) : o.scenarioFile;
  // a step at or past the end would never apply: refused, with its path, before anything starts
  validateTimeline(loadScenario(scenarioFile), o.durationS);
  const session = await startSession({ ...o, scenarioFile, cfg, vectorsDir: o.vectorsDir ?? vectorsDirFor(o.cfg.dataDir, await scenarioName(scenarioFile)) });
  const { store } = session.infra;
  const windowRuns = session.scenario.convergence.windowRuns;
  const startedAtMs = session.startedAtMs;
  const deadline = startedAtMs + o.durationS * 1000;
  let convergedAtMs: number | null = null;
  // a node whose strategy failed (threw, or chose what is not a candidate) ends the experiment
  let failed: StrategyError | undefined;
  const failure = new AbortController();
  const onCrash = (st: NodeStatus) => {
    strategyFailure(store, st, startedAtMs, session.scenario, session.strategy).then(
      (f) => {
        if (f && !failed) {
          failed = f;
          failure.abort();
        }
      },
      () => undefined,
    );
  };
  session.runtime?.on('crash', onCrash);
  const wake = o.signal ? AbortSignal.any([o.signal, failure.signal]) : failure.signal;
  // stream apps and their workloads: started by the session, in the controller's process (issue 19; not on the nodes yet)
  const streams = session.streams;
  // the batch apps' verdict; a scenario of stream apps alone has none to wait for (only its events to close)
  const batchConverged = async () => {
    const c = await readConvergence(store, windowRuns);
    return c.converged || (streams !== undefined && c.apps.length === 0 && c.openEvents === 0);
  };
  try {
    while (Date.now() < deadline && !o.signal?.aborted && !failed) {
      await sleep(Math.min(o.pollMs ?? 500, Math.max(0, deadline - Date.now())), wake);
      // a stream app's strategy that failed fails the run as a batch app's does
      failed ??= streams?.strategyFailure;
      if (failed) break;
      // with steps still to come the run goes on; after the last one every app converges anew
      if (session.timeline.pending > 0) continue;
      if (streams?.errors.length) {
        o.log(`stream: ${streams.errors[0]}`);
        break;
      }
      if (streams && !streams.converged(windowRuns)) continue;
      if ((await batchConverged()) && (await settledSince(store, session.timeline.lastAppliedAtMs, windowRuns))) {
        convergedAtMs = Date.now();
        o.log(`converged after ${((convergedAtMs - startedAtMs) / 1000).toFixed(1)} s`);
        break;
      }
    }
    if (failed) o.log(`stopped: ${failed.message}`);
    else if (convergedAtMs === null) o.log(o.signal?.aborted ? 'stopped before convergence' : `not converged within ${o.durationS} s`);
    session.runtime?.off('crash', onCrash);
    const streamReport = await streams?.stop();
    await session.runtime?.stopAll();
    // what the nodes learned online outlives this run's store: the next run starts from it
    await session.saveLearnedVectors();
    if (failed) {
      // the runs so far, the failing one with its error in its row; no report: the run did not complete
      const csv = resolve(o.reportFile).replace(/\.json$/i, '') + '.runs.csv';
      mkdirSync(dirname(csv), { recursive: true });
      writeFileSync(csv, runsToCsv(await store.listRuns({ limit: 1_000_000 }).then((rs) => rs.filter((r) => r.startedAtMs >= startedAtMs).sort((a, b) => a.id - b.id))));
      throw failed;
    }
    // a node may have been mid-cycle when the verdict was taken: the report holds the verdict on
    // the store as the stopped nodes left it
    if (convergedAtMs !== null && !(await batchConverged())) {
      o.log('a node acted after convergence was first seen: not converged');
      convergedAtMs = null;
    }
    const endedAtMs = Date.now();
    const datasetBytes = await datasetSize(session.infra);
    const report = await buildReport(store, session.scenario, { startedAtMs, endedAtMs, convergedAtMs, datasetBytes, strategy: session.strategy });
    if (streamReport) report.stream = { ...streamReport, errors: streams!.errors };
    const runs = await store.listRuns({ limit: 1_000_000 }).then((rs) => rs.filter((r) => r.startedAtMs >= startedAtMs).sort((a, b) => a.id - b.id));
    return writeRunOutputs(o.reportFile, report, runs);
  } finally {
    await session.close();
  }
}

/** The size of the data set's object (its first copy's), or null when it cannot be read. */
async function datasetSize(infra: { store: { listCopies(): Promise<{ bucket: string; objectKey: string; id: number }[]> }; objects: { statObject(b: string, k: string): Promise<{ size: number } | undefined> } }): Promise<number | null> {
  try {
    const copies = (await infra.store.listCopies()).sort((a, b) => a.id - b.id);
    for (const c of copies) {
      const info = await infra.objects.statObject(c.bucket, c.objectKey);
      if (info) return info.size;
    }
  } catch {
    // the size is a courtesy of the report: without it bytesMoved is unknown
  }
  return null;
}

/** The scenario with its sets applied and validated, written where the run's node processes read it. */
async function writeScenarioWithSets(file: string, sets: readonly ScenarioSet[], runDir: string): Promise<string> {
  const { absolutePaths, loadScenarioWithSets } = await import('../../model/scenario-set.js');
  const raw = absolutePaths(loadScenarioWithSets(file, sets).raw, file);
  mkdirSync(runDir, { recursive: true });
  const out = join(runDir, 'scenario.yaml');
  writeFileSync(out, `# ${file} with ${sets.map((s) => `--set ${s.text}`).join(' ')}\n${toYaml(raw)}`);
  return out;
}

/**
 * Whether a node exited because its app's strategy failed: what it told the runtime before it
 * exited (process runtime: status.error), else the `strategy-failed` trace it recorded with its
 * last run (any runtime). The StrategyError's message is `strategy <name> of app <id>: ...`.
 */
async function strategyFailure(store: Store, st: NodeStatus, sinceMs: number, scenario: Parameters<typeof strategySpecFor>[0], override?: string): Promise<StrategyError | undefined> {
  const traces = await store.listDecisions({ appId: st.appId, limit: 1_000_000 });
  const last = traces.filter((t) => t.createdAtMs >= sinceMs && t.trace.kind === 'strategy-failed').at(-1);
  // a node that could not start is reported by the session; the others go on
  const message = (st.errorKind === 'start' ? undefined : st.error) ?? last?.trace.reason;
  if (!message) return undefined;
  return new StrategyError(message, last?.trace.strategy ?? strategySpecFor(scenario, st.appId, override).spec, st.appId);
}

/**
 * Whether every app that runs (not on a node that is down) has its whole convergence window of
 * runs after `sinceMs` (the last timeline step): runs from before a change say nothing of after it.
 */
async function settledSince(store: Store, sinceMs: number | null, windowRuns: number): Promise<boolean> {
  if (sinceMs === null) return true;
  const down = new Set(await store.listDownNodes());
  for (const app of await store.listApps()) {
    if (down.has(app.nodeId)) continue;
    const total = await store.countRuns(app.id);
    const [first] = await store.listRuns({ appId: app.id, offset: Math.max(0, total - windowRuns), limit: 1 });
    if (total < windowRuns || !first || first.startedAtMs < sinceMs) return false;
  }
  return true;
}

async function scenarioName(file: string): Promise<string> {
  const { loadScenario } = await import('../../model/scenario.js');
  return loadScenario(file).name;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    // the listener goes with the timer, or every poll would leave one behind on the signal
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
