import { METRIC_UNITS, type Metric } from '../../../model/metrics.js';
import type { Goal, RunRow } from '../../../model/types.js';
import { flattenLoopMetrics, loopMetrics, type LoopReport } from '../loop-metrics.js';
import type { ExperimentReport } from '../report.js';
import { CHART_CSS, esc, fmt, lineChartSvg } from './svg.js';

/*
 * The page of one run (`fogsim run --report F` writes it as F.html; the comparison report holds
 * one per run): its loop metrics, and per app each goal metric over time with the goal's
 * thresholds, the app's actions and the timeline's steps as markers. Self-contained: inline SVG
 * and CSS, no script, nothing fetched.
 */

export type RunPageReport = LoopReport & Pick<ExperimentReport, 'scenario' | 'seed'> & { strategy?: unknown; timeline?: unknown };

const VALUE: Record<Metric, (r: RunRow) => number> = {
  responseTime: (r) => r.rtMs,
  executionTime: (r) => r.etMs,
  throughput: (r) => r.throughput,
  latency: (r) => r.latencyMs,
  availability: (r) => r.availability,
  consistency: (r) => r.consistency,
};

/** Every term of a goal: its metric and bound. */
export function goalTerms(g: Goal | undefined): { metric: Metric; bound: number; kind: 'min' | 'max' }[] {
  if (!g) return [];
  if ('all' in g) return g.all.flatMap(goalTerms);
  if ('any' in g) return g.any.flatMap(goalTerms);
  return g.min !== undefined ? [{ metric: g.metric, bound: g.min, kind: 'min' }] : [{ metric: g.metric, bound: g.max!, kind: 'max' }];
}

/** The timeline steps a report records, as (seconds, label); tolerant of the section's shape. */
export function timelineMarks(report: { timeline?: unknown }): { atS: number; label: string }[] {
  const t = report.timeline as unknown;
  const list = Array.isArray(t) ? t : t && typeof t === 'object' && Array.isArray((t as { steps?: unknown }).steps) ? (t as { steps: unknown[] }).steps : [];
  const out: { atS: number; label: string }[] = [];
  for (const s of list) {
    if (!s || typeof s !== 'object') continue;
    const o = s as Record<string, unknown>;
    const at = [o.appliedAtS, o.atS, o.at].find((v) => typeof v === 'number' && Number.isFinite(v)) as number | undefined;
    if (at === undefined) continue;
    const what = [o.label, o.summary, o.description, o.kind, o.do].find((v) => typeof v === 'string') as string | undefined;
    out.push({ atS: at, label: what ?? (o.do !== undefined ? JSON.stringify(o.do) : 'step') });
  }
  return out;
}

const COLORS = ['#2c6fb0', '#27ae60', '#8e44ad', '#16a085', '#d35400', '#7f8c8d'];

/** The strategy a report names, as text (one, or per app). */
export function strategyText(report: { strategy?: unknown }): string | null {
  const s = report.strategy;
  if (s === undefined || s === null) return null;
  if (typeof s === 'string') return s;
  if (typeof s === 'object' && typeof (s as { name?: unknown }).name === 'string') return (s as { name: string }).name;
  return JSON.stringify(s);
}

/** The loop metrics and the apps' charts of one run, as an HTML fragment. */
export function runSectionHtml(report: RunPageReport, runs: readonly RunRow[], opts: { heading?: string; error?: string | null } = {}): string {
  const out: string[] = [];
  const strategy = strategyText(report);
  if (opts.heading) out.push(`<h3>${esc(opts.heading)}</h3>`);
  out.push(
    `<p>scenario <b>${esc(report.scenario)}</b>, seed ${esc(report.seed)}${strategy ? `, strategy <b>${esc(strategy)}</b>` : ''}; ${report.converged ? `converged at ${esc(report.convergedAtS)} s` : `not converged in ${esc(report.durationS)} s`}; ${esc(report.runs)} runs, ${esc(report.events.length)} action(s)</p>`,
  );
  if (opts.error) out.push(`<p class="err">error: ${esc(opts.error)}</p>`);
  const m = flattenLoopMetrics(loopMetrics(report, runs));
  out.push(`<div class="scroll"><table class="metrics"><tr>${Object.keys(m).map((k) => `<th>${esc(k)}</th>`).join('')}</tr><tr>${Object.values(m).map((v) => `<td>${v === null ? '–' : esc(fmt(v))}</td>`).join('')}</tr></table></div>`);
  const t0 = report.startedAtMs ?? (runs.length ? Math.min(...runs.map((r) => r.startedAtMs)) : 0);
  const xRange: [number, number] = [0, Math.max(report.durationS, 1)];
  const steps = timelineMarks(report).map((s) => ({ x: s.atS, label: s.label, color: '#555', dashed: true }));
  const apps: { id: number; goal?: Goal; strategy?: string }[] = report.apps ?? [...new Set(runs.map((r) => r.appId))].sort((a, b) => a - b).map((id) => ({ id }));
  out.push(`<div class="legend"><span><i style="background:#2c6fb0"></i>a run (red dot: goal violated)</span><span><i style="background:#c0392b"></i>goal threshold</span><span><i style="background:#e67e22"></i>an action of the app</span><span><i style="background:#555"></i>a timeline step</span></div>`);
  for (const [k, app] of apps.entries()) {
    const mine = runs.filter((r) => r.appId === app.id);
    const terms = goalTerms(app.goal);
    const metrics = [...new Set(terms.map((t) => t.metric))];
    if (!metrics.length) metrics.push('responseTime');
    const actions = report.events.filter((e) => e.appId === app.id).map((e) => ({ x: e.createdAtS, label: e.action, color: '#e67e22' }));
    const own = app.strategy !== undefined && app.strategy !== strategy ? ` <small>(strategy ${esc(app.strategy)})</small>` : '';
    out.push(`<h3>app ${esc(app.id)}${own}</h3><div class="charts">`);
    for (const metric of metrics) {
      const points: [number, number, boolean][] = mine.filter((r) => !r.error).map((r) => [(r.startedAtMs - t0) / 1000, VALUE[metric](r), r.goalMet]);
      out.push(
        lineChartSvg({
          title: `app ${app.id}: ${metric} (${METRIC_UNITS[metric]})`,
          xLabel: 's',
          xRange,
          series: [{ name: metric, color: COLORS[k % COLORS.length], points: thin(points, 1500) }],
          thresholds: terms.filter((t) => t.metric === metric).map((t) => ({ y: t.bound, label: `${t.kind} ${fmt(t.bound)}` })),
          markers: [...steps, ...actions],
        }),
      );
    }
    out.push('</div>');
  }
  return out.join('\n');
}

/** At most n points, evenly picked, keeping the violated ones' share visible. */
function thin<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const step = xs.length / n;
  return Array.from({ length: n }, (_, i) => xs[Math.floor(i * step)]);
}

export function htmlPage(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CHART_CSS}</style></head><body>\n${body}\n</body></html>\n`;
}

/** The whole page of one run. */
export function runPageHtml(report: RunPageReport, runs: readonly RunRow[]): string {
  const strategy = strategyText(report);
  const title = `fogsim run: ${report.scenario}, seed ${report.seed}${strategy ? `, ${strategy}` : ''}`;
  return htmlPage(title, `<h1>${esc(title)}</h1>\n${runSectionHtml(report, runs)}`);
}
