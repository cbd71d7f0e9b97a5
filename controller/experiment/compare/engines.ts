import type { Engine } from '../report.js';
import { boxStats, esc, fmt } from '../html/svg.js';
import type { Cell } from './plan.js';

/*
 * The engines side by side (fogsim compare --engines sim,emu, or any comparison): per strategy or
 * cell and engine, converged runs (x/n), the actions of the converged runs (mean and median),
 * the most common first action, the mean time in violation; and, when two engines ran the same
 * strategy, how many seeds agree on the first action and on converged (yes/no). Pure: from the
 * runs' reports (outputs.ts loads them).
 */

/** What the table reads of a run's report (outputs.ts keeps it in the run's digest). */
export interface RunGist {
  converged: boolean;
  convergedAtS: number | null;
  events: { action: string; createdAtS: number }[];
}

export interface EngineRun {
  cell: Cell;
  seed: number;
  report: RunGist | null;
  /** loop metrics of a finished run (loop-metrics.ts) */
  metrics: Record<string, number | null> | null;
}

/** The first action of a run (its earliest event), `none` when it took none. */
export const firstAction = (report: Pick<RunGist, 'events'>): string => report.events[0]?.action ?? 'none';

/** The actions a converged run took up to convergence; null when it did not converge. */
export const actionsToConverge = (report: Pick<RunGist, 'events' | 'convergedAtS'>): number | null =>
  report.convergedAtS === null ? null : report.events.filter((e) => e.createdAtS <= report.convergedAtS!).length;

export interface EngineRow {
  base: string;
  engine: Engine;
  runs: number;
  /** runs with a report */
  finished: number;
  converged: number;
  /** over the converged runs, the actions taken up to convergence */
  actionsToConverge: { n: number; mean: number | null; median: number | null };
  /** the most common first action and on how many runs (ties: the label first in order) */
  firstAction: { label: string; runs: number } | null;
  /** first actions by label, most common first */
  firstActions: { label: string; runs: number }[];
  violatedSMean: number | null;
}

export interface Agreement {
  base: string;
  engines: [Engine, Engine];
  /** seeds both engines finished */
  seeds: number;
  firstAction: number;
  converged: number;
  perSeed: { seed: number; first: [string, string]; converged: [boolean, boolean] }[];
}

export interface EngineTable {
  rows: EngineRow[];
  agreements: Agreement[];
}

export function engineTable(cells: readonly Cell[], runs: readonly EngineRun[]): EngineTable {
  const rows = cells.map((c): EngineRow => {
    const mine = runs.filter((r) => r.cell.name === c.name);
    const done = mine.filter((r): r is EngineRun & { report: RunGist } => r.report !== null);
    const counts = new Map<string, number>();
    for (const r of done) counts.set(firstAction(r.report), (counts.get(firstAction(r.report)) ?? 0) + 1);
    const firstActions = [...counts].map(([label, n]) => ({ label, runs: n })).sort((a, b) => b.runs - a.runs);
    const acts = boxStats(done.map((r) => actionsToConverge(r.report)).filter((v): v is number => v !== null));
    const violated = boxStats(done.map((r) => r.metrics?.violatedS).filter((v): v is number => typeof v === 'number'));
    return {
      base: c.base,
      engine: c.engine,
      runs: mine.length,
      finished: done.length,
      converged: done.filter((r) => r.report.converged).length,
      actionsToConverge: { n: acts?.n ?? 0, mean: acts?.mean ?? null, median: acts?.median ?? null },
      firstAction: firstActions[0] ?? null,
      firstActions,
      violatedSMean: violated?.mean ?? null,
    };
  });
  const agreements: Agreement[] = [];
  const engines = [...new Set(cells.map((c) => c.engine))];
  if (engines.length === 2) {
    const [a, b] = engines;
    for (const base of [...new Set(cells.map((c) => c.base))]) {
      const of = (e: Engine) => new Map(runs.filter((r) => r.cell.base === base && r.cell.engine === e && r.report).map((r) => [r.seed, r.report!] as const));
      const [ra, rb] = [of(a), of(b)];
      const perSeed = [...ra.keys()]
        .filter((s) => rb.has(s))
        .sort((x, y) => x - y)
        .map((seed) => ({ seed, first: [firstAction(ra.get(seed)!), firstAction(rb.get(seed)!)] as [string, string], converged: [ra.get(seed)!.converged, rb.get(seed)!.converged] as [boolean, boolean] }));
      agreements.push({ base, engines: [a, b], seeds: perSeed.length, firstAction: perSeed.filter((p) => p.first[0] === p.first[1]).length, converged: perSeed.filter((p) => p.converged[0] === p.converged[1]).length, perSeed });
    }
  }
  return { rows, agreements };
}

const num = (x: number | null) => (x === null ? '-' : fmt(x));

function cellsOf(r: EngineRow): string[] {
  return [
    r.base,
    r.engine,
    `${r.converged}/${r.runs}`,
    `${num(r.actionsToConverge.mean)} / ${num(r.actionsToConverge.median)}`,
    r.firstAction ? `${r.firstAction.label} (${r.firstAction.runs}/${r.finished})` : '-',
    num(r.violatedSMean),
  ];
}

const headers = (label: string) => [label, 'engine', 'converged', 'actions to converge (mean / median)', 'first action (most common)', 'time in violation, s (mean)'];

/** The table as text, as fogsim compare prints it. */
export function formatEngineTable(t: EngineTable, label: string): string {
  const table = [headers(label), ...t.rows.map(cellsOf)];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const lines = table.map((r) => r.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd());
  for (const a of t.agreements) {
    lines.push(`agreement ${a.engines[0]} vs ${a.engines[1]}${t.rows.length > 2 ? ` (${a.base})` : ''}: first action on ${a.firstAction}/${a.seeds} seeds, converged (yes/no) on ${a.converged}/${a.seeds} seeds`);
  }
  return lines.join('\n');
}

/** The same as HTML tables for report.html: the summary, then each agreement seed by seed. */
export function engineTableHtml(t: EngineTable, label: string): string {
  const out: string[] = ['<table class="summary">', `<tr>${headers(label).map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`];
  for (const r of t.rows) out.push(`<tr>${cellsOf(r).map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`);
  out.push('</table>');
  for (const a of t.agreements) {
    out.push(`<h3>${esc(a.base)}: ${esc(a.engines[0])} vs ${esc(a.engines[1])}</h3>`);
    out.push(`<p>First action agrees on ${esc(a.firstAction)} of ${esc(a.seeds)} seeds; converged (yes/no) on ${esc(a.converged)} of ${esc(a.seeds)}.</p>`);
    out.push(`<table class="summary"><tr><th>seed</th><th>first action, ${esc(a.engines[0])}</th><th>first action, ${esc(a.engines[1])}</th><th>converged, ${esc(a.engines[0])}</th><th>converged, ${esc(a.engines[1])}</th></tr>`);
    const yn = (b: boolean) => (b ? 'yes' : 'no');
    for (const p of a.perSeed) {
      const mark = (same: boolean) => (same ? '' : ' class="err"');
      out.push(`<tr><td>${esc(p.seed)}</td><td${mark(p.first[0] === p.first[1])}>${esc(p.first[0])}</td><td${mark(p.first[0] === p.first[1])}>${esc(p.first[1])}</td><td${mark(p.converged[0] === p.converged[1])}>${yn(p.converged[0])}</td><td${mark(p.converged[0] === p.converged[1])}>${yn(p.converged[1])}</td></tr>`);
    }
    out.push('</table>');
  }
  return out.join('\n');
}
