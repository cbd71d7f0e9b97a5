import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExperiment } from '../../../controller/experiment/experiment.js';
import { startSession } from '../../../controller/session.js';
import { loadScenario } from '../../../model/scenario.js';
import type { ImpactVector } from '../../../model/metrics.js';
import { fileNameForLabel, parseVectorText } from '../../../training/files.js';
import { learnedDirFor, vectorsDirFor } from '../../../training/dirs.js';
import { requiredLabels } from '../../../training/labels.js';
import { readInfraConfig, type InfraConfig } from '../../../util/config.js';
import { isolatedEnv } from '../../helpers/env.js';

/*
 * Issue 13, defect 9: `fogsim train --import <the original's vector files> --scenario S` then
 * `fogsim run --scenario S --no-train` works; what a run learns online is kept for the next one.
 * The import runs as the CLI in a child process; the runs are `fogsim run`'s own runExperiment
 * (and startSession for `up`), without node processes (--runtime none): only the vectors matter.
 */

const exec = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const SCENARIO = 'scenarios/thesis.yaml';
const scenario = loadScenario(join(root, SCENARIO));
const labels = requiredLabels(scenario);
const total = scenario.apps.length * labels.length;

/** Five values (RT, ET, X, NL, A), one per line, as numpy.savetxt writes them (%.18e). */
function originalFile(i: number): string {
  const values = [0.5 - i / 100, -0.25, 0.125 + i / 1000, -1, 0.03];
  return values.map((v) => v.toExponential(18)).join('\n') + '\n';
}

let dataDir: string;
let orig: string;
const cfgOf = (dir: string): InfraConfig => readInfraConfig({ FOGSIM_DATA_DIR: dir });
const quiet = { runtime: 'none' as const, train: false };

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'fogsim-carry-'));
  orig = join(dataDir, 'original-vectors');
  let i = 0;
  for (const app of scenario.apps) {
    mkdirSync(join(orig, `app-${app.id}`), { recursive: true });
    for (const l of labels) writeFileSync(join(orig, `app-${app.id}`, fileNameForLabel(l)), originalFile(i++));
  }
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function run(name: string, extra: { freshVectors?: boolean } = {}) {
  const lines: string[] = [];
  const r = await runExperiment({ scenarioFile: join(root, SCENARIO), cfg: cfgOf(dataDir), durationS: 1, pollMs: 200, reportFile: join(dataDir, `${name}.json`), log: (l) => lines.push(l), ...quiet, ...extra });
  return { ...r, lines };
}

describe('impact vectors: train --import, then run --no-train; learning carries over', () => {
  it('train --import --scenario writes where run reads; run --no-train starts from them without training', async () => {
    expect(scenario.apps.length * labels.length).toBe(total);
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'train', '--import', orig, '--scenario', SCENARIO], {
      cwd: root,
      env: isolatedEnv({ FOGSIM_DATA_DIR: dataDir, FOGSIM_LOG_LEVEL: 'silent' }),
      timeout: 60_000,
    });
    const vectorsDir = vectorsDirFor(dataDir, scenario.name);
    expect(stdout).toContain(`imported ${total} vector(s) from ${orig}`);
    expect(stdout).toContain(`${vectorsDir}/app-<id>/`);
    expect(stdout).toContain(`read them from ${vectorsDir}`);
    // our six-value format, DC filled (0 for a move, the extra-copy impact for a copy)
    for (const app of scenario.apps) {
      expect(readdirSync(join(vectorsDir, `app-${app.id}`)).sort()).toEqual(labels.map(fileNameForLabel).sort());
      const m = readFileSync(join(vectorsDir, `app-${app.id}`, fileNameForLabel(labels[0])), 'utf8');
      expect(m.trim().split(',')).toHaveLength(6);
    }

    const first = await run('first');
    expect(first.lines.filter((l) => /training first|^training:|missing|could not/.test(l))).toEqual([]);
    expect(first.lines).toContain(`impact vectors: trained (${total}: ${total} from ${vectorsDir}) + none learned in earlier runs`);
    expect(first.lines).toContain('impact vectors: none learned online');
    expect(existsSync(first.reportFile)).toBe(true);
  }, 120_000);

  it('what a run learns online is kept in <vectorsDir>/learned and the next run starts from it, unless --fresh-vectors', async () => {
    const vectorsDir = vectorsDirFor(dataDir, scenario.name);
    const learned = learnedDirFor(vectorsDir);
    // a run whose nodes learned two vectors: the session the run uses, its store written as a node does
    const runDir = join(dataDir, 'runs', 'by-hand');
    const lines: string[] = [];
    const s = await startSession({ scenarioFile: join(root, SCENARIO), cfg: { ...cfgOf(runDir), sqlitePath: join(runDir, 'fogsim.db') }, vectorsDir, log: (l) => lines.push(l), ...quiet });
    const v: ImpactVector = { responseTime: 0.9, executionTime: 0.8, throughput: 0.7, latency: 0.6, availability: 0.5, consistency: 0 };
    try {
      await s.infra.store.upsertImpact({ appId: 1, actionLabel: 'M3_1', vector: v, source: 'online', updatedAtMs: Date.now() });
      await s.infra.store.upsertImpact({ appId: 2, actionLabel: 'M1_2', vector: v, source: 'online', updatedAtMs: Date.now() });
      await s.saveLearnedVectors();
    } finally {
      await s.close();
    }
    expect(lines.at(-1)).toMatch(new RegExp(`^impact vectors: 2 learned online \\(apps 1, 2\\) kept in ${learned}`));
    const fill = { copies: 1, maxCopies: scenario.decision.maxCopies, rhoConsistency: scenario.decision.rho.consistency };
    expect(parseVectorText(readFileSync(join(learned, 'app-1', 'IM3_1.txt'), 'utf8'), 'f', 'M3_1', fill)).toEqual(v);

    const second = await run('second');
    expect(second.lines).toContain(`impact vectors: trained (${total - 2}: ${total} from ${vectorsDir}) + learned in earlier runs (2: 2 from ${learned})`);
    // kept again at its end (the store had them as online vectors)
    expect(second.lines).toContain(`impact vectors: 2 learned online (apps 1, 2) kept in ${learned}; the next run starts from them (--fresh-vectors: from the trained ones)`);

    const fresh = await run('fresh', { freshVectors: true });
    expect(fresh.lines).toContain(`impact vectors: trained (${total}: ${total} from ${vectorsDir}) only (--fresh-vectors: vectors learned in earlier runs in ${learned} left out)`);
    // the folder holds what the last run ended with: nothing learned
    expect(fresh.lines).toContain(`impact vectors: none learned online; ${learned} cleared`);
    expect(existsSync(learned)).toBe(false);
  }, 120_000);

  it('up (a persistent store): its online vectors stay, and --fresh-vectors resets them to the trained ones', async () => {
    const cfg = cfgOf(dataDir); // the store train --import wrote to, as `fogsim up` opens it
    const start = async (freshVectors?: boolean) => {
      const lines: string[] = [];
      const s = await startSession({ scenarioFile: join(root, SCENARIO), cfg, log: (l) => lines.push(l), freshVectors, ...quiet });
      return { s, lines };
    };
    const v: ImpactVector = { responseTime: -0.9, executionTime: 0, throughput: 0, latency: 0, availability: 0, consistency: 0 };
    const a = await start();
    try {
      expect(a.lines).toContain(`impact vectors: trained (${total}, in the store) + none learned in earlier runs`);
      await a.s.infra.store.upsertImpact({ appId: 3, actionLabel: 'CR1', vector: v, source: 'online', updatedAtMs: Date.now() });
      await a.s.saveLearnedVectors();
    } finally {
      await a.s.close();
    }
    const b = await start();
    try {
      expect(b.lines).toContain(`impact vectors: trained (${total - 1}, in the store) + learned in earlier runs (1: 1 in the store)`);
    } finally {
      await b.s.close();
    }
    const c = await start(true);
    try {
      expect(c.lines).toContain(`impact vectors: trained (${total}: ${total} from ${vectorsDirFor(dataDir, scenario.name)}) only (--fresh-vectors: vectors learned in earlier runs in ${learnedDirFor(vectorsDirFor(dataDir, scenario.name))} left out)`);
      const row = (await c.s.infra.store.listImpacts(3)).find((r) => r.actionLabel === 'CR1')!;
      expect(row.source).toBe('import');
      expect(row.vector.responseTime).not.toBe(-0.9);
    } finally {
      await c.s.close();
    }
  }, 120_000);
});
