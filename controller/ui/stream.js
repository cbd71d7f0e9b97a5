// The stream apps on the dashboard (issue 19): per app, latency p95 with the goal's bound, input
// rate against throughput, and workers, one point per closed window; the workloads' rate steps
// (grey, labelled with the new rate) and the S{n} actions (orange) as vertical lines; a table of
// the latest window's aggregates (count and average cholesterol by gender and age band). History
// from GET /api/stream-apps, then the SSE `stream-window` events.
import { lineChart, pushPoint, series } from './charts.js';
import { api, el, fmtNum } from './common.js';

const streamApps = new Map(); // appId -> {app, charts: {latency, rates, workers}, actions: [], rateSteps: [], last: index, lastEndS}
const STEP_COLOR = '#5a6b7d';
const ACTION_COLOR = '#d9822b';

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
  const lat = box('latency'), rates = box('rates'), workers = box('workers');
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
  };
  const status = el('span', { class: 'badge muted', id: `stream-${app.id}-status` }, 'no window yet');
  a.card = el('section', { class: 'card', id: `stream-${app.id}`, 'data-stream-app': app.id },
    el('div', { class: 'app-head' }, el('h2', {}, `Stream app ${app.id}`, el('span', { class: 'hint' }, `topic ${app.topic} · windows of ${app.windowS} s · rule ${app.rule}`)), status),
    el('div', { class: 'goal' }, `goal: ${app.goal}`),
    el('div', { class: 'charts' }, lat.wrap, rates.wrap, workers.wrap),
    el('div', { class: 'muted', id: `stream-${app.id}-last`, style: 'font-size:12px;margin-top:4px' }, ''),
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
  if (redraw) for (const c of Object.values(a.charts)) c.update('none');
  const status = document.getElementById(`stream-${a.app.id}-status`);
  status.className = `badge ${w.goalMet ? 'ok' : 'bad'}`;
  status.textContent = w.goalMet ? 'goal met' : 'goal violated';
  document.getElementById(`stream-${a.app.id}-last`).textContent =
    `window ${w.index} (${fmtNum(w.startS)}–${fmtNum(w.endS)} s): ${w.workers} worker(s) · in ${fmtNum(w.inputRate, 0)}/s · out ${fmtNum(w.throughput, 0)}/s · p95 ${fmtNum(w.latencyP95)} ms · lag ${w.lag}` +
    (w.action && w.action !== 'NA' ? ` → ${w.action}` : '');
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
  const snap = await api('/api/stream-apps');
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
  return (e) => {
    let a = streamApps.get(e.appId);
    if (!a) {
      // an app the snapshot did not have (the page opened before the session started it)
      a = appCard({ id: e.appId, topic: e.topic, goal: e.goal, windowS: e.window.endS - e.window.startS, rule: '', actions: [], rateSteps: [] });
      streamApps.set(e.appId, a);
      grid.append(a.card);
      container.hidden = false;
      // its rate steps are in the snapshot only
      api('/api/stream-apps?limit=1').then((s) => {
        a.rateSteps = s.apps.find((x) => x.id === e.appId)?.rateSteps ?? [];
        for (const c of Object.values(a.charts)) c.update('none');
      }).catch(() => undefined);
    }
    if (e.action && !a.actions.some((x) => x.window === e.action.window)) a.actions.push(e.action);
    addWindow(a, e.window, true);
    showGroups(e.appId, e.groups);
  };
}

// for tests and the curious: the points each stream app's charts hold, its actions, and the marks
// each chart drew at its last redraw (charts.js)
window.fogsimStreamPoints = () => Object.fromEntries([...streamApps].map(([id, a]) => [id, {
  latency: a.charts.latency.data.datasets[0].data.length, rates: a.charts.rates.data.datasets[0].data.length, workers: a.charts.workers.data.datasets[0].data.length,
  actions: a.actions.map((x) => x.label),
  marks: Object.fromEntries(Object.entries(a.charts).map(([k, c]) => [k, (c.$fogsimMarks ?? []).map((m) => ({ x: m.x, label: m.label }))])),
}]));
