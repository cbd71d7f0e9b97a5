// The stream apps on the dashboard (issue 19): per app, latency p95 with the goal's bound, input
// rate against throughput, and workers, one point per closed window; the aggregates over the
// windows (average cholesterol and count, one line per gender × age band); the workloads' rate
// steps (grey, labelled with the new rate) and the S{n} actions (orange) as vertical lines; a
// table of the latest window's aggregates. History from GET /api/stream-apps (each window with
// its aggregates), then the SSE `stream-window` events.
import { MAX_POINTS, lineChart, pushPoint, series } from './charts.js';
import { api, el, fmtNum } from './common.js';

const streamApps = new Map(); // appId -> {app, charts: {latency, rates, workers, cholesterol, counts}, groups: Map, actions: [], rateSteps: [], last: index, lastEndS}
const STEP_COLOR = '#5a6b7d';
const ACTION_COLOR = '#d9822b';
const GROUP_COLORS = ['#c2397b', '#2f6fdd', '#1a9e8f', '#7b4fc9', '#b8860b', '#5a6b7d', '#e4572e', '#3b8b3b'];

/** The bound of the goal on a metric (`latency <= 4000` gives 4000 for latency), else null. */
function goalBound(goal, metric) {
  const m = new RegExp(`\\b${metric}\\s*(<=|>=)\\s*(-?[\\d.]+)`).exec(goal ?? '');
  return m ? Number(m[2]) : null;
}

/**
 * The marks of an app's charts: its S{n} actions, and the rate steps up to its latest window's
 * end (the API lists the coming ones too; a step is drawn once a window has reached it). A
 * step is labelled with the new rate, and with its workload when several feed the topic.
 */
function appMarks(a) {
  const several = new Set(a.rateSteps.map((st) => st.workload)).size > 1;
  return [
    ...a.rateSteps.filter((st) => st.atS <= a.lastEndS).map((st) => ({ x: st.atS, label: `${several ? `${st.workload} ` : ''}${fmtNum(st.rate)}/s`, color: STEP_COLOR })),
    ...a.actions.map((x) => ({ x: x.atS, label: x.label, color: ACTION_COLOR, dash: [4, 3] })),
  ];
}

function appCard(app) {
  const a = { app, actions: [...(app.actions ?? [])], rateSteps: app.rateSteps ?? [], last: -1, lastEndS: -Infinity };
  const marks = () => appMarks(a);
  const box = (label) => {
    const canvas = el('canvas', { 'aria-label': `stream app ${app.id} ${label}` });
    return { canvas, wrap: el('div', { class: 'chart-box' }, canvas) };
  };
  const lat = box('latency'), rates = box('rates'), workers = box('workers'), chol = box('average cholesterol'), counts = box('records by group');
  a.bound = goalBound(app.goal, 'latency');
  const violated = (ctx) => (ctx.raw && ctx.raw.met === false ? '#c2362b' : '#2f6fdd');
  const chart = (canvas, datasets, yTitle) => lineChart(canvas, datasets, { marks, y: { beginAtZero: true, title: { display: !!yTitle, text: yTitle } } });
  a.charts = {
    latency: chart(lat.canvas, [
      series('latency p95 (ms)', '#2f6fdd', { pointBackgroundColor: violated, pointBorderColor: violated }),
      ...(a.bound === null ? [] : [series(`goal ≤ ${a.bound}`, '#8a94a3', { borderDash: [6, 4], borderWidth: 1.2, pointRadius: 0 })]),
    ], 'ms'),
    rates: chart(rates.canvas, [series('input rate', '#7b4fc9'), series('throughput', '#1a9e8f')], 'msgs/s'),
    workers: chart(workers.canvas, [series('workers', '#d9822b', { stepped: true })], ''),
    // one dataset per group, added as the group first shows (addWindow); the averages sit far from zero
    cholesterol: lineChart(chol.canvas, [], { marks, y: { title: { display: true, text: 'avg cholesterol' } } }),
    counts: chart(counts.canvas, [], 'records / window'),
  };
  a.groups = new Map(); // `gender|band` -> {label, cholesterol: dataset, counts: dataset}
  const status = el('span', { class: 'badge muted', id: `stream-${app.id}-status` }, 'no window yet');
  a.card = el('section', { class: 'card', id: `stream-${app.id}`, 'data-stream-app': app.id },
    el('div', { class: 'app-head' }, el('h2', {}, `Stream app ${app.id}`, el('span', { class: 'hint' }, `topic ${app.topic} · windows of ${app.windowS} s · rule ${app.rule}`)), status),
    el('div', { class: 'goal' }, `goal: ${app.goal}`),
    el('div', { class: 'charts' }, lat.wrap, rates.wrap, workers.wrap),
    el('div', { class: 'muted', id: `stream-${app.id}-last`, style: 'font-size:12px;margin-top:4px' }, ''),
    el('h2', { style: 'margin-top:10px' }, 'Aggregates', el('span', { class: 'hint' }, 'per window: average cholesterol and records by gender and age band')),
    el('div', { class: 'charts' }, chol.wrap, counts.wrap),
    el('h2', { style: 'margin-top:10px' }, 'Latest window', el('span', { class: 'hint' }, 'count and average cholesterol by gender and age band')),
    el('table', { id: `stream-${app.id}-groups`, class: 'stream-groups' }));
  return a;
}

function addWindow(a, w, redraw) {
  if (w.index <= a.last) return;
  a.last = w.index;
  a.lastEndS = w.endS;
  const x = w.endS;
  const push = (chart, i, point) => pushPoint(chart.data.datasets[i], point);
  if (w.latencyP95 !== null) push(a.charts.latency, 0, { x, y: w.latencyP95, met: w.goalMet });
  if (a.bound !== null) {
    const first = a.charts.latency.data.datasets[0].data[0]?.x ?? x;
    a.charts.latency.data.datasets[1].data = [{ x: first, y: a.bound }, { x, y: a.bound }];
  }
  push(a.charts.rates, 0, { x, y: w.inputRate });
  push(a.charts.rates, 1, { x, y: w.throughput });
  push(a.charts.workers, 0, { x, y: w.workers });
  addGroups(a, x, w.groups ?? []);
  if (redraw) for (const c of Object.values(a.charts)) c.update('none');
  const status = document.getElementById(`stream-${a.app.id}-status`);
  status.className = `badge ${w.goalMet ? 'ok' : 'bad'}`;
  status.textContent = w.goalMet ? 'goal met' : 'goal violated';
  document.getElementById(`stream-${a.app.id}-last`).textContent =
    `window ${w.index} (${fmtNum(w.startS)}–${fmtNum(w.endS)} s): ${w.workers} worker(s) · in ${fmtNum(w.inputRate, 0)}/s · out ${fmtNum(w.throughput, 0)}/s · p95 ${fmtNum(w.latencyP95)} ms · lag ${w.lag}` +
    (w.action && w.action !== 'NA' ? ` → ${w.action}` : '');
}

/**
 * A window's aggregates onto the group lines: a group gets its line in both charts when it first
 * shows; from then on every window adds a point to each line, a count of 0 and no average (a
 * gap) when the window had none of the group. As the run page does (controller/experiment/html/stream-section.ts groupSeries).
 */
function addGroups(a, x, groups) {
  for (const g of groups) {
    const key = `${g.gender}|${g.ageBand}`;
    if (a.groups.has(key)) continue;
    const label = `${g.gender} · ${g.ageBand}`;
    const color = GROUP_COLORS[a.groups.size % GROUP_COLORS.length];
    const line = { gender: g.gender, ageBand: g.ageBand, label, cholesterol: series(label, color), counts: series(label, color) };
    a.groups.set(key, line);
    a.charts.cholesterol.data.datasets.push(line.cholesterol);
    a.charts.counts.data.datasets.push(line.counts);
  }
  for (const line of a.groups.values()) {
    const g = groups.find((x) => x.gender === line.gender && x.ageBand === line.ageBand);
    pushPoint(line.cholesterol, { x, y: g?.avgCholesterol ?? null });
    pushPoint(line.counts, { x, y: g?.count ?? 0 });
  }
}

function showGroups(appId, groups) {
  const rows = groups ?? [];
  document.getElementById(`stream-${appId}-groups`).replaceChildren(
    el('thead', {}, el('tr', {}, el('th', {}, 'gender'), el('th', {}, 'age band'), el('th', { class: 'num' }, 'count'), el('th', { class: 'num' }, 'avg cholesterol'))),
    el('tbody', {}, rows.length
      ? rows.map((g) => el('tr', {}, el('td', {}, g.gender), el('td', {}, g.ageBand), el('td', { class: 'num' }, g.count), el('td', { class: 'num' }, fmtNum(g.avgCholesterol, 2))))
      : el('tr', {}, el('td', { class: 'muted', colspan: 4 }, 'no records in the window'))));
}

/** Loads the stream apps' history; returns the handler of the SSE `stream-window` event. */
export async function startStreamApps(container) {
  // as many windows as a chart keeps
  const snap = await api(`/api/stream-apps?limit=${MAX_POINTS}`);
  container.hidden = !snap.apps.length;
  const grid = container.querySelector('.grid');
  for (const app of snap.apps) {
    const a = appCard(app);
    streamApps.set(app.id, a);
    grid.append(a.card);
    for (const w of app.windows) addWindow(a, w, false);
    for (const c of Object.values(a.charts)) c.update('none');
    showGroups(app.id, app.groups);
  }
  const handle = async (e) => {
    let a = streamApps.get(e.appId);
    if (!a) {
      // an app the snapshot did not have (the page opened before the session started it)
      a = appCard({ id: e.appId, topic: e.topic, goal: e.goal, windowS: e.window.endS - e.window.startS, rule: '', actions: [], rateSteps: [] });
      a.rateStepsPending = true;
      streamApps.set(e.appId, a);
      grid.append(a.card);
      container.hidden = false;
    }
    if (a.rateStepsPending || e.window.index > a.last + 1) {
      // what the events do not carry: the windows closed while the page was not listening (between
      // its snapshot and the stream's opening, a reconnect), and a new app's rate steps
      const app = (await api(`/api/stream-apps?limit=${MAX_POINTS}`).catch(() => null))?.apps.find((x) => x.id === e.appId);
      if (app) {
        a.rateSteps = app.rateSteps;
        a.rateStepsPending = false;
        for (const x of app.actions) addAction(a, x);
        for (const w of app.windows) if (w.index < e.window.index) addWindow(a, w, false);
      }
    }
    if (e.action) addAction(a, e.action);
    addWindow(a, e.window, true);
    showGroups(e.appId, e.groups);
  };
  // one event after the other: a window waits for the gap before it to be filled; a failure is
  // told on the console (as an uncaught one would be) and the next event goes on
  let queue = Promise.resolve();
  return (e) => { queue = queue.then(() => handle(e)).catch((err) => console.error(err)); };
}

function addAction(a, action) {
  if (!a.actions.some((x) => x.window === action.window)) a.actions.push(action);
}

// for tests and the curious: the points each stream app's charts hold, its actions, its group
// lines (each chart's datasets: label and points) and the marks each chart drew at its last redraw (charts.js)
const lines = (chart) => chart.data.datasets.map((d) => ({ label: d.label, points: d.data.map((p) => ({ x: p.x, y: p.y })) }));
window.fogsimStreamPoints = () => Object.fromEntries([...streamApps].map(([id, a]) => [id, {
  latency: a.charts.latency.data.datasets[0].data.length, rates: a.charts.rates.data.datasets[0].data.length, workers: a.charts.workers.data.datasets[0].data.length,
  cholesterol: lines(a.charts.cholesterol), counts: lines(a.charts.counts),
  actions: a.actions.map((x) => x.label),
  marks: Object.fromEntries(Object.entries(a.charts).map(([k, c]) => [k, (c.$fogsimMarks ?? []).map((m) => ({ x: m.x, label: m.label }))])),
}]));
