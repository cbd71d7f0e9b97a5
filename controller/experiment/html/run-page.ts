import { METRIC_UNITS, type Metric } from '../../../model/metrics.js';
import type { Goal, RunRow } from '../../../model/types.js';
import { flattenLoopMetrics, loopMetrics, type LoopReport } from '../loop-metrics.js';
import type { ExperimentReport } from '../report.js';
import { CHART_CSS, esc, fmt, lineChartSvg } from './svg.js';
import { streamSectionHtml } from './stream-section.js';

/*
 * The page of one run (`fogsim run --report F` writes it as F.html; the comparison report holds
 * one per run): its loop metrics, and per app each goal metric over time with the goal's
 * thresholds, the app's actions and the timeline's steps as markers; the stream apps' windows
 * (html/stream-section.ts) with their rate steps and S{n} actions. Self-contained: inline SVG
 * and CSS, no script, nothing fetched.
 */

export type RunPageReport = LoopReport & Pick<ExperimentReport, 'scenario' | 'seed'> & { strategy?: unknown; timeline?: unknown; stream?: ExperimentReport['stream'] };

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
  const runsOf = groupBy(runs, (r) => r.appId);
  const eventsOf = groupBy(report.events, (e) => e.appId);
  let charted = apps;
  if (apps.length > APPS_CHARTED) {
    out.push(fleetHtml(report, runs, runsOf, eventsOf, apps, t0, xRange, steps));
    // per app, the ones that spent longest violated
    const violatedS = (id: number) => (report.story?.violatedS?.[String(id)] as number | undefined) ?? 0;
    charted = [...apps].sort((a, b) => violatedS(b.id) - violatedS(a.id) || a.id - b.id).slice(0, APPS_CHARTED);
    out.push(`<h2>The ${APPS_CHARTED} apps longest in violation</h2>`);
  }
  out.push(`<div class="legend"><span><i style="background:#2c6fb0"></i>a run (red dot: goal violated)</span><span><i style="background:#c0392b"></i>goal threshold</span><span><i style="background:#e67e22"></i>an action of the app</span><span><i style="background:#555"></i>a timeline step</span></div>`);
  for (const [k, app] of charted.entries()) {
    const mine = runsOf.get(app.id) ?? [];
    const terms = goalTerms(app.goal);
    const metrics = [...new Set(terms.map((t) => t.metric))];
    if (!metrics.length) metrics.push('responseTime');
    const actions = (eventsOf.get(app.id) ?? []).map((e) => ({ x: e.createdAtS, label: e.action, color: '#e67e22' }));
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
  out.push(streamSectionHtml(report.stream, xRange, steps));
  return out.join('\n');
}

/** Apps charted one by one; past this many the page shows the fleet and the apps that struggled most. */
export const APPS_CHARTED = 24;

function groupBy<T, K>(xs: readonly T[], key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const x of xs) (m.get(key(x)) ?? m.set(key(x), []).get(key(x))!).push(x);
  return m;
}

/**
 * The fleet of a large run (hundreds or thousands of apps): over time, the share of runs that
 * violated their goal and the actions taken, per bucket; and a table of every app.
 */
function fleetHtml(
  report: RunPageReport,
  runs: readonly RunRow[],
  runsOf: Map<number, RunRow[]>,
  eventsOf: Map<number, RunPageReport['events']>,
  apps: readonly { id: number; goal?: Goal }[],
  t0: number,
  xRange: [number, number],
  steps: { x: number; label: string; color: string; dashed: boolean }[],
): string {
  const buckets = 120;
  const width = xRange[1] / buckets;
  const at = (s: number) => Math.min(buckets - 1, Math.max(0, Math.floor(s / width)));
  const total = new Array<number>(buckets).fill(0);
  const violated = new Array<number>(buckets).fill(0);
  for (const r of runs) {
    const b = at((r.startedAtMs - t0) / 1000);
    total[b]++;
    if (!r.goalMet) violated[b]++;
  }
  const acted = new Array<number>(buckets).fill(0);
  for (const e of report.events) acted[at(e.createdAtS)]++;
  const mid = (b: number) => (b + 0.5) * width;
  const share: [number, number, boolean][] = [];
  for (let b = 0; b < buckets; b++) if (total[b]) share.push([mid(b), (100 * violated[b]) / total[b], violated[b] === 0]);
  const out: string[] = [`<h2>The fleet: ${apps.length} apps</h2><div class="charts">`];
  out.push(lineChartSvg({ title: 'runs violating their goal (%)', xLabel: 's', xRange, series: [{ name: 'violated', color: '#c0392b', points: share }], markers: steps }));
  out.push(lineChartSvg({ title: `actions per ${fmt(width)} s`, xLabel: 's', xRange, series: [{ name: 'actions', color: '#e67e22', points: acted.map((n, b) => [mid(b), n, true] as [number, number, boolean]) }], markers: steps }));
  out.push('</div>');
  const violatedS = report.story?.violatedS ?? {};
  const rows = apps.map((a) => {
    const mine = runsOf.get(a.id) ?? [];
    const bad = mine.filter((r) => !r.goalMet).length;
    const last = mine[mine.length - 1];
    return `<tr><td>app ${esc(a.id)}</td><td>${esc(mine.length)}</td><td>${mine.length ? esc(fmt((100 * bad) / mine.length)) : '–'}</td><td>${esc(fmt((violatedS[String(a.id)] as number | undefined) ?? 0))}</td><td>${esc((eventsOf.get(a.id) ?? []).length)}</td><td>${last ? (last.goalMet ? 'yes' : 'no') : '–'}</td></tr>`;
  });
  out.push(`<details><summary>every app (${apps.length})</summary><div class="scroll"><table class="apps"><tr><th>app</th><th>runs</th><th>violated (%)</th><th>time violated (s)</th><th>actions</th><th>goal met at the end</th></tr>${rows.join('')}</table></div></details>`);
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
