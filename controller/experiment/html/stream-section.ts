import type { ExperimentReport } from '../report.js';
import { esc, fmt, lineChartSvg } from './svg.js';

/*
 * The stream part of a run's page (issue 19): per stream app, its windows charted (end-to-end
 * latency p95 with the goal's threshold, input rate against throughput, workers, lag, and the
 * aggregates: average cholesterol and count per gender and age band) with the workloads' rate
 * steps (at their atS, on the app's clock) and the app's S{n} actions marked on them, as the
 * batch charts mark actions and timeline steps, and a table of the actions with their
 * arithmetic. Inline SVG only.
 */

export type StreamSection = NonNullable<ExperimentReport['stream']>;

/** The bounds a formatted goal names (`latency <= 4000 AND lag <= 100`), by metric. */
export function goalBounds(goal: string): { metric: string; kind: 'min' | 'max'; bound: number }[] {
  const out: { metric: string; kind: 'min' | 'max'; bound: number }[] = [];
  for (const m of goal.matchAll(/(\w+)\s*(<=|>=)\s*(-?[\d.]+(?:e[+-]?\d+)?)/gi)) out.push({ metric: m[1]!, kind: m[2] === '<=' ? 'max' : 'min', bound: Number(m[3]) });
  return out;
}

const ACTION = '#e67e22';
const STEP = '#555';
const GROUP_COLORS = ['#c0397b', '#2c6fb0', '#27ae60', '#8e44ad', '#d35400', '#16a085', '#7f8c8d', '#b7950b'];

type Window = StreamSection['apps'][number]['windows'][number];

/** One line per group (gender × age band) over the windows, from the group's first window on. */
export interface GroupSeries {
  gender: string;
  ageBand: string;
  /** `F · unknown` */
  label: string;
  /** per window from the group's first: x the window's endS, its count (0 when the window had none of it) and average cholesterol (null then) */
  points: { x: number; count: number; avgCholesterol: number | null }[];
}

/** The aggregates of an app's windows as lines per group, in the order the groups first appear. */
export function groupSeries(windows: readonly Window[]): GroupSeries[] {
  const out = new Map<string, GroupSeries>();
  for (const w of windows) {
    for (const g of w.groups) {
      const key = `${g.gender}|${g.ageBand}`;
      if (!out.has(key)) out.set(key, { gender: g.gender, ageBand: g.ageBand, label: `${g.gender} · ${g.ageBand}`, points: [] });
    }
    for (const s of out.values()) {
      const g = w.groups.find((x) => x.gender === s.gender && x.ageBand === s.ageBand);
      s.points.push({ x: w.endS, count: g?.count ?? 0, avgCholesterol: g?.avgCholesterol ?? null });
    }
  }
  return [...out.values()];
}

/** The stream section of a run's page; empty when the run had no stream apps. */
export function streamSectionHtml(stream: StreamSection | undefined, xRange: [number, number], timeline: { x: number; label: string; color: string; dashed: boolean }[] = []): string {
  if (!stream || !stream.apps?.length) return '';
  const out: string[] = [`<h2>Stream apps</h2>`];
  const where = stream.runtime === 'virtual' ? `in virtual time (the fluid model of sim/stream.ts, bus on node ${esc(stream.dataPath?.busNode)})` : `in the controller's process on the ${esc(stream.bus)} bus`;
  out.push(`<p>${where}; ${stream.apps.length} stream app(s), ${stream.workloads.length} workload(s)</p>`);
  if (stream.errors?.length) out.push(`<p class="err">${stream.errors.map((e) => esc(e)).join('<br>')}</p>`);
  out.push(
    `<table class="workloads"><tr><th>workload</th><th>topic</th><th>partitions</th><th>rate (msgs/s)</th><th>rate steps</th><th>acked</th></tr>${stream.workloads
      .map((w) => `<tr><td>${esc(w.id)}</td><td>${esc(w.topic)}</td><td>${esc(w.partitions)}</td><td>${esc(w.rate)}</td><td>${w.rateSteps.length ? w.rateSteps.map((s) => `${esc(fmt(s.rate))}/s at ${esc(fmt(s.at))} s`).join(', ') : '–'}</td><td>${esc(w.acked)}${w.error ? ` <span class="err">${esc(w.error)}</span>` : ''}</td></tr>`)
      .join('')}</table>`,
  );
  out.push(`<div class="legend"><span><i style="background:#2c6fb0"></i>a window (red dot: goal violated)</span><span><i style="background:#c0392b"></i>goal threshold</span><span><i style="background:${ACTION}"></i>an S{n} action</span><span><i style="background:${STEP}"></i>a rate step or timeline step</span></div>`);
  for (const app of stream.apps) {
    // atS: the step on the app's clock, that of its windows and actions (stream/app/run.ts appRateSteps)
    const steps = app.rateSteps.map((s) => ({ x: s.atS, label: `${s.workload} ${fmt(s.rate)}/s`, color: STEP, dashed: true }));
    const markers = [...timeline, ...steps, ...app.actions.map((a) => ({ x: a.atS, label: a.label, color: ACTION }))];
    const end = Math.max(xRange[1], ...app.windows.map((w) => w.endS));
    const range: [number, number] = [xRange[0], end];
    const at = (w: Window) => w.endS;
    const bounds = goalBounds(app.goal);
    const thresholds = (metric: string) => bounds.filter((b) => b.metric === metric).map((b) => ({ y: b.bound, label: `${b.kind} ${fmt(b.bound)}` }));
    out.push(
      `<h3>stream app ${esc(app.id)} <small>topic ${esc(app.topic)}, goal ${esc(app.goal)}, windows of ${esc(app.windowS)} s, rule ${esc(app.rule)}${app.strategy === undefined ? '' : `, strategy ${esc(app.strategy)}`}</small></h3>`,
      `<p>workers ${esc(app.workers.initial)} → ${esc(app.workers.final)} (max ${esc(app.workers.max)}); ${esc(app.windows.length)} windows, ${esc(app.windows.filter((w) => !w.goalMet).length)} violated; ${esc(app.consumed)} records consumed, lag at the end ${esc(app.lagAtEnd)}; ${app.converged ? 'converged' : 'not converged'}</p>`,
      '<div class="charts">',
    );
    const latency: [number, number, boolean][] = app.windows.filter((w) => w.latencyP95 !== null).map((w) => [at(w), w.latencyP95!, w.goalMet]);
    const p50: [number, number, boolean][] = app.windows.filter((w) => w.latencyP50 !== null).map((w) => [at(w), w.latencyP50!, true]);
    out.push(
      lineChartSvg({
        title: `stream app ${app.id}: latency p95 (ms)`,
        xLabel: 's',
        xRange: range,
        series: [
          { name: 'p95', color: '#2c6fb0', points: latency },
          { name: 'p50', color: '#95a5a6', points: p50 },
        ],
        thresholds: [...thresholds('latency'), ...thresholds('latencyP50')],
        markers,
      }),
      lineChartSvg({
        title: `stream app ${app.id}: input rate (purple) vs throughput (msgs/s)`,
        xLabel: 's',
        xRange: range,
        series: [
          { name: 'input rate', color: '#8e44ad', points: app.windows.map((w) => [at(w), w.inputRate, true]) },
          { name: 'throughput', color: '#2c6fb0', points: app.windows.map((w) => [at(w), w.throughput, w.goalMet]) },
        ],
        thresholds: thresholds('throughput'),
        markers,
      }),
      lineChartSvg({
        title: `stream app ${app.id}: workers`,
        xLabel: 's',
        xRange: range,
        series: [{ name: 'workers', color: '#16a085', points: app.windows.map((w) => [at(w), w.workers, w.goalMet]) }],
        markers,
      }),
      lineChartSvg({
        title: `stream app ${app.id}: lag (messages)`,
        xLabel: 's',
        xRange: range,
        series: [{ name: 'lag', color: '#d35400', points: app.windows.map((w) => [at(w), w.lag, w.goalMet]) }],
        thresholds: thresholds('lag'),
        markers,
      }),
    );
    const groups = groupSeries(app.windows).map((g, i) => ({ ...g, color: GROUP_COLORS[i % GROUP_COLORS.length]! }));
    out.push(
      lineChartSvg({
        title: `stream app ${app.id}: average cholesterol by gender and age band`,
        xLabel: 's',
        xRange: range,
        series: groups.map((g) => ({ name: g.label, color: g.color, points: g.points.filter((p) => p.avgCholesterol !== null).map((p) => [p.x, p.avgCholesterol!]) })),
        markers,
      }),
      lineChartSvg({
        title: `stream app ${app.id}: records per window by gender and age band`,
        xLabel: 's',
        xRange: range,
        series: groups.map((g) => ({ name: g.label, color: g.color, points: g.points.map((p) => [p.x, p.count]) })),
        markers,
      }),
    );
    out.push('</div>');
    out.push(`<div class="legend stream-groups">${groups.length ? groups.map((g) => `<span><i style="background:${g.color}"></i>${esc(g.label)}</span>`).join('') : '<span>no records aggregated</span>'}</div>`);
    if (app.actions.length) {
      out.push(
        `<table class="stream-actions"><tr><th>action</th><th>at (s)</th><th>window</th><th>workers</th><th>rule</th><th>rule's proposal</th><th>strategy</th><th>arithmetic</th><th>inputs</th><th>event</th></tr>${app.actions
          .map(
            (a) =>
              `<tr><td>${esc(a.label)}</td><td>${esc(fmt(a.atS))}</td><td>${esc(a.window)}</td><td>${esc(a.from)} → ${esc(a.to)}</td><td>${esc(a.rule)}</td><td>${esc(a.proposed ?? a.label)}</td><td>${esc(a.strategy ?? '–')}${a.explored ? ' (random pick)' : ''}</td><td style="text-align:left">${esc(a.arithmetic)}</td><td style="text-align:left">${esc(
                Object.entries(a.inputs)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', '),
              )}</td><td>${a.eventId === null ? '–' : `#${esc(a.eventId)}`}</td></tr>`,
          )
          .join('')}</table>`,
      );
    } else out.push('<p>no scale action</p>');
    // windows whose strategy did not take the rule's proposal (static, a user's module): what the rule would have done
    const declined = app.windows.filter((w) => w.proposed !== undefined && w.proposed !== w.action);
    if (declined.length) {
      const w = declined[0];
      out.push(`<p>the strategy did not take the rule's proposal in ${esc(declined.length)} window(s); the first, window ${esc(w.index)} at ${esc(fmt(w.endS))} s: ${esc(w.reason)}</p>`);
    }
  }
  return out.join('\n');
}
