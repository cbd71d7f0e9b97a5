import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRow } from '../../../model/types.js';
import { flattenLoopMetrics, LOOP_METRIC_NAMES, loopMetrics } from '../loop-metrics.js';
import { parseRunsCsv, type ExperimentReport } from '../report.js';
import { htmlPage, runSectionHtml } from '../html/run-page.js';
import { boxPlotSvg, esc, fmt } from '../html/svg.js';
import type { Cell } from './plan.js';
import { summarize } from './stats.js';

/*
 * The outputs of `fogsim compare` / `fogsim sweep` in DIR, rebuilt from the runs' folders every
 * time (so a resumed comparison writes the same files as one run at once):
 *   results.csv  one row per run: the strategy or cell (and, for a sweep, each grid value), the
 *                seed, every loop metric (docs/metrics.md), the error of a run that failed
 *   summary.csv  per strategy or cell and metric: n, mean, sd and the 95 % confidence interval of
 *                the mean (Student's t)
 *   report.html  box plots of each loop metric by strategy or cell, then every run's page
 */

export interface RunOutcome {
  cell: Cell;
  seed: number;
  reportFile: string;
  error: string | null;
}

interface Loaded extends RunOutcome {
  report: ExperimentReport | null;
  runs: RunRow[];
  metrics: Record<string, number | null> | null;
}

function load(o: RunOutcome): Loaded {
  if (o.error === null && existsSync(o.reportFile)) {
    try {
      const report = JSON.parse(readFileSync(o.reportFile, 'utf8')) as ExperimentReport;
      const csv = o.reportFile.replace(/\.json$/i, '') + '.runs.csv';
      const runs = existsSync(csv) ? parseRunsCsv(readFileSync(csv, 'utf8')) : [];
      return { ...o, report, runs, metrics: flattenLoopMetrics(loopMetrics(report, runs)) };
    } catch (e) {
      return { ...o, error: `unreadable report ${o.reportFile}: ${(e as Error).message}`, report: null, runs: [], metrics: null };
    }
  }
  return { ...o, error: o.error ?? 'did not finish', report: null, runs: [], metrics: null };
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
}

export function writeOutputs(o: { kind: 'compare' | 'sweep'; outDir: string; scenario: string; durationS: number; cells: readonly Cell[]; seeds: readonly number[]; outcomes: readonly RunOutcome[] }): OutputFiles {
  const loaded = o.outcomes.map(load);
  const label = o.kind === 'compare' ? 'strategy' : 'cell';
  const paths = o.kind === 'sweep' ? [...new Set(o.cells.flatMap((c) => Object.keys(c.params)))] : [];
  const appCols = [...new Set(loaded.flatMap((l) => Object.keys(l.metrics ?? {}).filter((k) => k.startsWith('violatedS_app'))))].sort((a, b) => Number(a.slice(13)) - Number(b.slice(13)));
  const metricCols = [...LOOP_METRIC_NAMES, ...appCols];

  const results = join(o.outDir, 'results.csv');
  writeFileSync(
    results,
    csv([[label, ...paths, 'seed', ...metricCols, 'error'], ...loaded.map((l) => [l.cell.name, ...paths.map((p) => l.cell.params[p]), l.seed, ...metricCols.map((m) => l.metrics?.[m] ?? null), l.error])]),
  );

  const summaryRows: unknown[][] = [[label, 'metric', 'n', 'mean', 'sd', 'ci95Low', 'ci95High']];
  const perCell = o.cells.map((c) => ({ cell: c, rows: loaded.filter((l) => l.cell.name === c.name) }));
  const stats = new Map<string, Map<string, ReturnType<typeof summarize>>>();
  for (const { cell, rows } of perCell) {
    const byMetric = new Map<string, ReturnType<typeof summarize>>();
    for (const m of metricCols) {
      const s = summarize(rows.map((r) => r.metrics?.[m] ?? null));
      byMetric.set(m, s);
      summaryRows.push([cell.name, m, s.n, s.mean, s.sd, s.ciLow, s.ciHigh]);
    }
    stats.set(cell.name, byMetric);
  }
  const summary = join(o.outDir, 'summary.csv');
  writeFileSync(summary, csv(summaryRows));

  const html = join(o.outDir, 'report.html');
  const body: string[] = [];
  const title = `fogsim ${o.kind}: ${o.scenario}`;
  body.push(`<h1>${esc(title)}</h1>`);
  body.push(`<p>${esc(o.cells.length)} ${o.kind === 'compare' ? 'strategies' : 'cells'} × ${esc(o.seeds.length)} seed(s) (${esc(o.seeds.join(', '))}), at most ${esc(o.durationS)} s each; generated ${esc(new Date().toISOString())}. Metrics are defined in docs/metrics.md (Loop metrics).</p>`);
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
    if (!l.report) {
      body.push(`<details class="run"><summary>${esc(head)}: <span class="err">failed</span></summary><p class="err">${esc(l.error)}</p></details>`);
      continue;
    }
    body.push(`<details class="run"><summary>${esc(head)}: ${l.report.converged ? `converged at ${esc(l.report.convergedAtS)} s` : 'not converged'}, ${esc(l.report.events.length)} action(s)</summary>${runSectionHtml(l.report, l.runs)}</details>`);
  }
  writeFileSync(html, htmlPage(title, body.join('\n')));
  return { results, summary, html };
}
