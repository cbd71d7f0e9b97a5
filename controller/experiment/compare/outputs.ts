import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRow } from '../../../model/types.js';
import { flattenLoopMetrics, LOOP_METRIC_NAMES, loopMetrics } from '../loop-metrics.js';
import { parseRunsCsv, type ExperimentReport } from '../report.js';
import { htmlPage, runSectionHtml } from '../html/run-page.js';
import { boxPlotSvg, esc, fmt } from '../html/svg.js';
import type { Cell } from './plan.js';
import { summarize } from './stats.js';
import { actionsToConverge, engineTable, engineTableHtml, firstAction, formatEngineTable, type RunGist } from './engines.js';

/*
 * The outputs of `fogsim compare` / `fogsim sweep` in DIR, rebuilt from the runs' folders every
 * time (so a resumed comparison writes the same files as one run at once):
 *   results.csv  one row per run: the strategy or cell, its engine (and, for a sweep, each grid
 *                value), the seed, its first action, every loop metric (docs/metrics.md), the
 *                error of a run that failed
 *   summary.csv  per strategy or cell, engine and metric: n, mean, sd and the 95 % confidence
 *                interval of the mean (Student's t); beside the loop metrics, actionsToConverge
 *                (the converged runs' actions), firstAction=<label> (the share of finished runs
 *                whose first action it was) and, with two engines, agree.firstAction and
 *                agree.converged (engine `a,b`: the share of seeds on which the two agree)
 *   report.html  the engines table (engines.ts), box plots of each loop metric by strategy or
 *                cell, then every run's page
 */

export interface RunOutcome {
  cell: Cell;
  seed: number;
  reportFile: string;
  error: string | null;
}

/**
 * What the outputs take of one finished run: the report's gist, its loop metrics and its section
 * of report.html. Computed once per run and kept beside its report (<report>.digest.json): by the
 * worker thread that simulated it (sim-worker.ts, in parallel with the other runs), else on the
 * first writeOutputs that reads it, so a big comparison's outputs are not rebuilt serially from
 * every report and runs file each time.
 */
interface RunDigest {
  version: typeof DIGEST_VERSION;
  gist: RunGist;
  metrics: Record<string, number | null>;
  section: string;
}

// 2: stream apps in the loop metrics (scales, windows as runs)
const DIGEST_VERSION = 2;
const digestFile = (reportFile: string) => reportFile.replace(/\.json$/i, '') + '.digest.json';

export function digestRun(report: ExperimentReport, runs: readonly RunRow[]): RunDigest {
  const gist: RunGist = { converged: report.converged, convergedAtS: report.convergedAtS, events: report.events.map((e) => ({ action: e.action, createdAtS: e.createdAtS })) };
  return { version: DIGEST_VERSION, gist, metrics: flattenLoopMetrics(loopMetrics(report, runs)), section: runSectionHtml(report, runs) };
}

/** Writes a run's digest beside its report (whole or not at all: a torn file would be read as one). */
export function writeRunDigest(reportFile: string, d: RunDigest): void {
  const file = digestFile(reportFile);
  writeFileSync(file + '.tmp', JSON.stringify(d));
  renameSync(file + '.tmp', file);
}

function readDigest(reportFile: string): RunDigest | undefined {
  try {
    const d = JSON.parse(readFileSync(digestFile(reportFile), 'utf8')) as Partial<RunDigest>;
    return d.version === DIGEST_VERSION && d.gist && d.metrics && typeof d.section === 'string' ? (d as RunDigest) : undefined;
  } catch {
    return undefined;
  }
}

interface Loaded extends RunOutcome {
  digest: RunDigest | null;
}

function load(o: RunOutcome): Loaded {
  if (o.error === null && existsSync(o.reportFile)) {
    const kept = readDigest(o.reportFile);
    if (kept) return { ...o, digest: kept };
    try {
      const report = JSON.parse(readFileSync(o.reportFile, 'utf8')) as ExperimentReport;
      const csv = o.reportFile.replace(/\.json$/i, '') + '.runs.csv';
      const runs = existsSync(csv) ? parseRunsCsv(readFileSync(csv, 'utf8')) : [];
      const digest = digestRun(report, runs);
      writeRunDigest(o.reportFile, digest);
      return { ...o, digest };
    } catch (e) {
      return { ...o, error: `unreadable report ${o.reportFile}: ${(e as Error).message}`, digest: null };
    }
  }
  return { ...o, error: o.error ?? 'did not finish', digest: null };
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(Number(v.toPrecision(10))) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csv = (rows: unknown[][]) => rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

export interface OutputFiles {
  results: string;
  summary: string;
  html: string;
  /** the engines table as text (engines.ts), to print */
  engines: string;
}

export function writeOutputs(o: { kind: 'compare' | 'sweep'; outDir: string; scenario: string; durationS: number; cells: readonly Cell[]; seeds: readonly number[]; outcomes: readonly RunOutcome[] }): OutputFiles {
  const loaded = o.outcomes.map(load).map((l) => ({ ...l, report: l.digest?.gist ?? null, metrics: l.digest?.metrics ?? null }));
  const label = o.kind === 'compare' ? 'strategy' : 'cell';
  const paths = o.kind === 'sweep' ? [...new Set(o.cells.flatMap((c) => Object.keys(c.params)))] : [];
  const appCols = [...new Set(loaded.flatMap((l) => Object.keys(l.metrics ?? {}).filter((k) => k.startsWith('violatedS_app'))))].sort((a, b) => Number(a.slice(13)) - Number(b.slice(13)));
  const metricCols = [...LOOP_METRIC_NAMES, ...appCols];

  const results = join(o.outDir, 'results.csv');
  writeFileSync(
    results,
    csv([
      [label, 'engine', ...paths, 'seed', 'firstAction', ...metricCols, 'error'],
      ...loaded.map((l) => [l.cell.base, l.cell.engine, ...paths.map((p) => l.cell.params[p]), l.seed, l.report ? firstAction(l.report) : null, ...metricCols.map((m) => l.metrics?.[m] ?? null), l.error]),
    ]),
  );

  const table = engineTable(o.cells, loaded);
  const summaryRows: unknown[][] = [[label, 'engine', 'metric', 'n', 'mean', 'sd', 'ci95Low', 'ci95High']];
  const perCell = o.cells.map((c) => ({ cell: c, rows: loaded.filter((l) => l.cell.name === c.name) }));
  const stats = new Map<string, Map<string, ReturnType<typeof summarize>>>();
  perCell.forEach(({ cell, rows }, i) => {
    const byMetric = new Map<string, ReturnType<typeof summarize>>();
    const row = (m: string, s: ReturnType<typeof summarize>) => summaryRows.push([cell.base, cell.engine, m, s.n, s.mean, s.sd, s.ciLow, s.ciHigh]);
    for (const m of metricCols) {
      const s = summarize(rows.map((r) => r.metrics?.[m] ?? null));
      byMetric.set(m, s);
      row(m, s);
    }
    stats.set(cell.name, byMetric);
    const e = table.rows[i];
    row('actionsToConverge', summarize(rows.map((r) => (r.report ? actionsToConverge(r.report) : null))));
    for (const f of e.firstActions) summaryRows.push([cell.base, cell.engine, `firstAction=${f.label}`, e.finished, f.runs / e.finished, null, null, null]);
  });
  for (const a of table.agreements) {
    const share = (k: number) => (a.seeds ? k / a.seeds : null);
    summaryRows.push([a.base, a.engines.join(','), 'agree.firstAction', a.seeds, share(a.firstAction), null, null, null]);
    summaryRows.push([a.base, a.engines.join(','), 'agree.converged', a.seeds, share(a.converged), null, null, null]);
  }
  const summary = join(o.outDir, 'summary.csv');
  writeFileSync(summary, csv(summaryRows));

  const html = join(o.outDir, 'report.html');
  const body: string[] = [];
  const title = `fogsim ${o.kind}: ${o.scenario}`;
  body.push(`<h1>${esc(title)}</h1>`);
  body.push(`<p>${esc(o.cells.length)} ${o.kind === 'compare' ? 'strategies' : 'cells'} × ${esc(o.seeds.length)} seed(s) (${esc(o.seeds.join(', '))}), at most ${esc(o.durationS)} s each; generated ${esc(new Date().toISOString())}. Metrics are defined in docs/metrics.md (Loop metrics).</p>`);
  body.push(`<h2>Engines</h2>`);
  body.push(engineTableHtml(table, label));
  const key = ['converged', 'convergedAtS', 'timeToRepairS', 'violatedS', 'actions', 'oscillations', 'ineffectiveActions', 'bytesMoved'];
  body.push('<h2>Summary (mean [95 % CI])</h2><table class="summary">');
  body.push(`<tr><th>${esc(label)}</th><th>runs</th><th>failed</th>${key.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>`);
  for (const { cell, rows } of perCell) {
    const failed = rows.filter((r) => r.error).length;
    const cells = key.map((k) => {
      const s = stats.get(cell.name)!.get(k)!;
      if (s.mean === null) return '<td>–</td>';
      return `<td>${esc(fmt(s.mean))}${s.ciLow !== null ? ` <small>[${esc(fmt(s.ciLow))}, ${esc(fmt(s.ciHigh!))}]</small>` : ''}</td>`;
    });
    body.push(`<tr><td>${esc(cell.name)}</td><td>${rows.length}</td><td${failed ? ' class="err"' : ''}>${failed}</td>${cells.join('')}</tr>`);
  }
  body.push('</table>');
  const failures = loaded.filter((l) => l.error);
  if (failures.length) {
    body.push('<h2>Runs that failed</h2><ul>');
    for (const f of failures) body.push(`<li class="err">${esc(f.cell.name)} seed ${esc(f.seed)}: ${esc(f.error)}</li>`);
    body.push('</ul>');
  }
  body.push(`<h2>Loop metrics by ${esc(label)}</h2><div class="charts">`);
  for (const m of metricCols) {
    body.push(boxPlotSvg({ title: m, groups: perCell.map(({ cell, rows }) => ({ name: cell.name, values: rows.map((r) => r.metrics?.[m]).filter((v): v is number => typeof v === 'number') })) }));
  }
  body.push('</div>');
  body.push('<h2>Every run</h2>');
  for (const l of loaded) {
    const head = `${l.cell.name}, seed ${l.seed}`;
    if (!l.digest) {
      body.push(`<details class="run"><summary>${esc(head)}: <span class="err">failed</span></summary><p class="err">${esc(l.error)}</p></details>`);
      continue;
    }
    body.push(`<details class="run"><summary>${esc(head)}: ${l.digest.gist.converged ? `converged at ${esc(l.digest.gist.convergedAtS)} s` : 'not converged'}, ${esc(l.digest.gist.events.length)} action(s)</summary>${l.digest.section}</details>`);
  }
  writeFileSync(html, htmlPage(title, body.join('\n')));
  return { results, summary, html, engines: formatEngineTable(table, label) };
}
