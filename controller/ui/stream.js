// The stream apps on the dashboard (issue 19): per app, latency p95 with the goal's bound, input
// rate against throughput, and workers, one point per closed window; the S{n} actions as
// vertical lines; a table of the latest window's aggregates (count and average cholesterol by
// gender and age band). History from GET /api/stream-apps, then the SSE `stream-window` events.
import { api, el, fmtNum } from './common.js';

const MAX_POINTS = 300;
const streamApps = new Map(); // appId -> {charts: {latency, rates, workers}, actions: [], last: index}

/** The S{n} actions of an app as dashed orange lines with their label. */
const actionsPlugin = {
  id: 'fogsimStreamActions',
  afterDatasetsDraw(chart) {
    const acts = chart.options.plugins.fogsimStreamActions?.actions ?? [];
    const { ctx, chartArea: area, scales: { x: scale } } = chart;
    if (!scale || !acts.length) return;
    ctx.save();
    ctx.lineWidth = 1.5;
    ctx.setLineDash([4, 3]);
    ctx.font = '10px sans-serif';
    ctx.strokeStyle = ctx.fillStyle = '#d9822b';
    for (const a of acts) {
      const px = scale.getPixelForValue(a.atS);
      if (px < area.left - 0.5 || px > area.right + 0.5) continue;
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      ctx.fillText(a.label, Math.min(px + 3, area.right - ctx.measureText(a.label).width), area.top + 10);
    }
    ctx.restore();
  },
};

/** The bound of the goal on a metric (`latency <= 4000` gives 4000 for latency), else null. */
function goalBound(goal, metric) {
  const m = new RegExp(`\\b${metric}\\s*(<=|>=)\\s*(-?[\\d.]+)`).exec(goal ?? '');
  return m ? Number(m[2]) : null;
}

function lineChart(canvas, datasets, actions, yTitle) {
  return new Chart(canvas, {
    type: 'line',
    plugins: [actionsPlugin],
    data: { datasets },
    options: {
      responsive: true, maintainAspectRatio: false, parsing: false,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'time (s)' }, ticks: { maxTicksLimit: 6 } },
        y: { beginAtZero: true, title: { display: !!yTitle, text: yTitle }, ticks: { maxTicksLimit: 5 } },
      },
      plugins: { legend: { labels: { boxWidth: 12, boxHeight: 2 } }, fogsimStreamActions: { actions } },
    },
  });
}

const series = (label, color, extra = {}) => ({ label, data: [], borderColor: color, backgroundColor: color, borderWidth: 1.5, tension: 0.15, pointRadius: 2, ...extra });

function appCard(app) {
  const actions = [...(app.actions ?? [])];
  const box = (label) => {
    const canvas = el('canvas', { 'aria-label': `stream app ${app.id} ${label}` });
    return { canvas, wrap: el('div', { class: 'chart-box' }, canvas) };
  };
  const lat = box('latency'), rates = box('rates'), workers = box('workers');
  const bound = goalBound(app.goal, 'latency');
  const violated = (ctx) => (ctx.raw && ctx.raw.met === false ? '#c2362b' : '#2f6fdd');
  const charts = {
    latency: lineChart(lat.canvas, [
      series('latency p95 (ms)', '#2f6fdd', { pointBackgroundColor: violated, pointBorderColor: violated }),
      ...(bound === null ? [] : [series(`goal ≤ ${bound}`, '#8a94a3', { borderDash: [6, 4], borderWidth: 1.2, pointRadius: 0 })]),
    ], actions, 'ms'),
    rates: lineChart(rates.canvas, [series('input rate', '#7b4fc9'), series('throughput', '#1a9e8f')], actions, 'msgs/s'),
    workers: lineChart(workers.canvas, [series('workers', '#d9822b', { stepped: true })], actions, ''),
  };
  const status = el('span', { class: 'badge muted', id: `stream-${app.id}-status` }, 'no window yet');
  const card = el('section', { class: 'card', id: `stream-${app.id}`, 'data-stream-app': app.id },
    el('div', { class: 'app-head' }, el('h2', {}, `Stream app ${app.id}`, el('span', { class: 'hint' }, `topic ${app.topic} · windows of ${app.windowS} s · rule ${app.rule}`)), status),
    el('div', { class: 'goal' }, `goal: ${app.goal}`),
    el('div', { class: 'charts' }, lat.wrap, rates.wrap, workers.wrap),
    el('div', { class: 'muted', id: `stream-${app.id}-last`, style: 'font-size:12px;margin-top:4px' }, ''),
    el('h2', { style: 'margin-top:10px' }, 'Latest window', el('span', { class: 'hint' }, 'count and average cholesterol by gender and age band')),
    el('table', { id: `stream-${app.id}-groups`, class: 'stream-groups' }));
  return { app, charts, actions, card, bound, last: -1 };
}

function addWindow(a, w, redraw) {
  if (w.index <= a.last) return;
  a.last = w.index;
  const x = w.endS;
  const push = (chart, i, point) => {
    const d = chart.data.datasets[i].data;
    d.push(point);
    if (d.length > MAX_POINTS) d.shift();
  };
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
      a = appCard({ id: e.appId, topic: e.topic, goal: e.goal, windowS: e.window.endS - e.window.startS, rule: '', actions: [] });
      streamApps.set(e.appId, a);
      grid.append(a.card);
      container.hidden = false;
    }
    if (e.action && !a.actions.some((x) => x.window === e.action.window)) a.actions.push(e.action);
    addWindow(a, e.window, true);
    showGroups(e.appId, e.groups);
  };
}

// for tests and the curious: the points each stream app's charts hold
window.fogsimStreamPoints = () => Object.fromEntries([...streamApps].map(([id, a]) => [id, { latency: a.charts.latency.data.datasets[0].data.length, rates: a.charts.rates.data.datasets[0].data.length, workers: a.charts.workers.data.datasets[0].data.length, actions: a.actions.map((x) => x.label) }]));
