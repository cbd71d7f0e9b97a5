import { startStreamApps } from './stream.js';
import { lineChart, MAX_POINTS, pushPoint, series } from './charts.js';
import { api, el, fmtGoal, fmtNum, fmtStep, fmtTime, goalTerms, METRIC_LABEL, METRIC_UNIT, RUN_FIELD, renderHeader } from './common.js';

renderHeader('dashboard');

const PALETTE = ['#2f6fdd', '#d9822b', '#7b4fc9', '#1a9e8f', '#c2362b', '#5a6b7d'];
const apps = new Map(); // appId -> {app, charts: [{term, chart}], lastRun, card}
const events = new Map(); // eventId -> event (with feedback)
let t0 = null; // ms of the first run shown: x axes are seconds since then
let counts = { runs: 0, actions: 0, feedback: 0, violations: 0, steps: 0 };
const steps = []; // timeline steps applied ({id, atMs, kind, args, source, error}), oldest first
const STEP_COLOR = { timeline: '#5a6b7d', admin: '#d9822b' };

/** Seconds on the x axes of a step (null before anything set the axes' origin). */
const stepX = (t) => (t0 === null ? null : (t.atMs - t0) / 1000);

/**
 * Timeline steps as dashed vertical lines on every app's charts, labelled with the step's kind;
 * the x axis reaches out to the latest step so a step shows before the next run arrives.
 */
const timelineMarks = () => steps.map((t) => ({ x: stepX(t), label: t.kind, color: t.error ? '#c2362b' : STEP_COLOR[t.source] ?? STEP_COLOR.timeline }));

function setStat(k, v) {
  counts[k] = v;
  document.getElementById(`stat-${k}`).textContent = v.toLocaleString('en');
}

function makeChart(canvas, term, color) {
  const unit = METRIC_UNIT[term.metric];
  const bound = term.min ?? term.max;
  const violated = (ctx) => (ctx.raw && ctx.raw.met === false ? '#c2362b' : color);
  return lineChart(canvas, [
    series(`${METRIC_LABEL[term.metric]}${unit ? ` (${unit})` : ''}`, color, { tension: 0.2, pointRadius: 2.5, pointBackgroundColor: violated, pointBorderColor: violated }),
    series(`goal ${term.min !== undefined ? '≥' : '≤'} ${bound}`, '#8a94a3', { borderDash: [6, 4], borderWidth: 1.2, pointRadius: 0, fill: false }),
  ], {
    marks: timelineMarks,
    extendX: true,
    y: { beginAtZero: term.metric === 'availability' || term.metric === 'consistency' },
    tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmtNum(c.parsed.y, 2)}` } },
  });
}

function appCard(app, index) {
  const terms = goalTerms(app.goal);
  const status = el('span', { class: 'badge muted', id: `app-${app.id}-status` }, 'no run yet');
  const where = el('span', { class: 'chip', id: `app-${app.id}-where` }, 'no data yet');
  const chartsBox = el('div', { class: 'charts' });
  const card = el('section', { class: 'card', id: `app-${app.id}`, 'data-app': app.id },
    el('div', { class: 'app-head' }, el('h2', {}, `App ${app.id}`, el('span', { class: 'hint' }, `on node ${app.nodeId}`)), el('span', {}, where, status)),
    el('div', { class: 'goal' }, `goal: ${fmtGoal(app.goal)}`),
    chartsBox,
    el('div', { class: 'muted', id: `app-${app.id}-last`, style: 'font-size:12px;margin-top:4px' }, ''));
  const charts = terms.map((term, i) => {
    const canvas = el('canvas', { 'aria-label': `app ${app.id} ${term.metric}` });
    chartsBox.append(el('div', { class: 'chart-box' }, canvas));
    return { term, chart: makeChart(canvas, term, PALETTE[(index + i) % PALETTE.length]) };
  });
  return { app, charts, card, runs: 0 };
}

/** Adds one run to its app's charts; `redraw` false while loading history in bulk. */
function addRun(r, redraw = true) {
  const a = apps.get(r.appId);
  if (!a) return;
  if (t0 === null) t0 = r.startedAtMs;
  const x = (r.startedAtMs - t0) / 1000;
  for (const { term, chart } of a.charts) {
    const y = r[RUN_FIELD[term.metric]];
    const [values, goal] = chart.data.datasets;
    pushPoint(values, { x, y, met: r.goalMet });
    const first = values.data[0].x;
    goal.data = [{ x: first, y: term.min ?? term.max }, { x, y: term.min ?? term.max }];
    if (redraw) chart.update('none');
  }
  a.runs += 1;
  a.lastRun = r;
  const status = document.getElementById(`app-${r.appId}-status`);
  status.className = `badge ${r.error ? 'warn' : r.goalMet ? 'ok' : 'bad'}`;
  status.textContent = r.error ? 'error' : r.goalMet ? 'goal met' : 'goal violated';
  document.getElementById(`app-${r.appId}-where`).textContent = r.dataNode ? `data on node ${r.dataNode}` : 'no data node';
  document.getElementById(`app-${r.appId}-last`).textContent =
    `run #${r.id} at ${fmtTime(r.startedAtMs)}: RT ${fmtNum(r.rtMs)} ms · X ${fmtNum(r.throughput, 0)} rec/s · NL ${fmtNum(r.latencyMs)} ms · A ${fmtNum(r.availability)} % · DC ${fmtNum(r.consistency, 2)}` +
    (r.actionLabel && r.actionLabel !== 'NA' ? ` → ${r.actionLabel}` : '');
  if (redraw) {
    setStat('runs', counts.runs + 1);
    if (!r.goalMet) setStat('violations', counts.violations + 1);
  }
}

function renderStep(t, isNew) {
  document.getElementById('timeline-empty')?.remove();
  const x = stepX(t);
  const node = el('div', { class: `step${t.error ? ' failed' : ''}${isNew ? ' new' : ''}`, id: `step-${t.id}`, title: t.error ?? JSON.stringify(t.args) },
    el('b', {}, x === null ? fmtTime(t.atMs) : `${fmtNum(x, 1)} s`), el('span', { class: 'chip' }, t.kind), el('span', {}, fmtStep(t)),
    el('span', { class: `badge ${t.source === 'admin' ? 'warn' : 'muted'}` }, t.source), t.error ? el('span', {}, `failed: ${t.error}`) : null);
  document.getElementById('timeline').prepend(node);
}

function addStep(t, live) {
  if (steps.some((s) => s.id === t.id)) return;
  steps.push(t);
  if (t0 === null) t0 = t.atMs;
  renderStep(t, live);
  setStat('steps', steps.length);
  if (live) for (const a of apps.values()) for (const { chart } of a.charts) chart.update('none');
}

function renderEvent(e, isNew) {
  const fb = e.feedback.length ? e.feedback.map((f) => `app ${f.appId}: ${f.value.toFixed(2)}`).join(' · ') : e.active ? 'none yet' : 'none';
  const state = e.active ? el('span', { class: 'badge warn' }, 'open') : el('span', { class: 'badge muted' }, `closed · global ${fmtNum(e.globalFeedback, 2)}`);
  const node = el('div', { class: `event${isNew ? ' new' : ''}`, id: `event-${e.id}` },
    el('div', { class: 'line1' }, el('b', {}, `#${e.id}`), el('span', {}, `app ${e.appId}`), el('span', { class: 'chip' }, e.actionLabel), el('span', { class: 'muted' }, e.actionType),
      e.explored ? el('span', { class: 'badge muted' }, 'explored') : null, el('span', { class: 'muted' }, fmtTime(e.createdAtMs)), state),
    el('div', { class: 'fb' }, `feedback: ${fb}`));
  const old = document.getElementById(`event-${e.id}`);
  if (old) old.replaceWith(node);
  else document.getElementById('events').prepend(node);
}

async function loadPlacements() {
  const rows = await api('/api/placements');
  document.getElementById('placements').replaceChildren(
    el('thead', {}, el('tr', {}, ['copy', 'node', 'object', 'version', 'read by'].map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.length ? rows.map((c) => el('tr', {}, el('td', {}, `#${c.id}`), el('td', {}, el('b', {}, `node ${c.nodeId}`)), el('td', { class: 'muted' }, `${c.bucket}/${c.objectKey}`), el('td', {}, c.version),
      el('td', {}, c.referencedBy.length ? c.referencedBy.map((a) => el('span', { class: 'chip' }, `app ${a}`)) : el('span', { class: 'muted' }, 'nobody')))) : el('tr', {}, el('td', { class: 'muted', colspan: 5 }, 'no copy yet'))));
}

async function loadCounters() {
  const rows = await api('/api/counters');
  document.getElementById('counters').replaceChildren(
    el('thead', {}, el('tr', {}, el('th', {}, 'action'), el('th', { class: 'num' }, 'counter'))),
    el('tbody', {}, rows.length ? rows.map((c) => el('tr', {}, el('td', {}, el('span', { class: 'chip' }, c.label)), el('td', { class: 'num' }, c.value))) : el('tr', {}, el('td', { class: 'muted', colspan: 2 }, 'no counters yet'))));
}

function showConvergence(c) {
  const b = document.getElementById('convergence');
  b.className = `badge conv ${c.converged ? 'ok' : 'warn'}`;
  b.textContent = c.converged ? 'converged' : 'not converged yet';
  if (Array.isArray(c.apps)) b.title = c.apps.map((a) => `app ${a.appId}: ${a.converged ? 'stable' : 'not yet'}`).join('\n');
}

async function loadHistory() {
  const list = await api('/api/apps');
  const box = document.getElementById('apps');
  list.forEach((app, i) => {
    const a = appCard(app, i);
    apps.set(app.id, a);
    box.append(a.card);
  });
  // The last MAX_POINTS runs of each app, oldest first.
  const perApp = await Promise.all(list.map(async (app) => {
    const head = await api(`/api/runs?appId=${app.id}&limit=1`);
    const offset = Math.max(0, head.total - MAX_POINTS);
    return (await api(`/api/runs?appId=${app.id}&limit=${MAX_POINTS}&offset=${offset}`)).items;
  }));
  const runs = perApp.flat().sort((a, b) => a.startedAtMs - b.startedAtMs || a.id - b.id);
  for (const r of runs) addRun(r, false);
  for (const a of apps.values()) for (const { chart } of a.charts) chart.update('none');
  const all = await api('/api/runs?limit=1');
  setStat('runs', all.total);
  setStat('violations', runs.filter((r) => !r.goalMet).length);
  const ev = await api('/api/events?limit=200');
  for (const e of ev.items.reverse()) { events.set(e.id, e); renderEvent(e, false); }
  setStat('actions', ev.total);
  setStat('feedback', ev.items.reduce((s, e) => s + e.feedback.length, 0));
  for (const t of await api('/api/timeline')) addStep(t, false);
  for (const a of apps.values()) for (const { chart } of a.charts) chart.update('none');
  return new Set(runs.map((r) => r.id));
}

api('/api/health').then((h) => { document.getElementById('strategy').textContent = `strategy: ${h.strategy ?? 'original'}`; }).catch(() => undefined);
const seenRuns = await loadHistory();
const onStreamWindow = await startStreamApps(document.getElementById('stream-apps')).catch(() => () => undefined);
await Promise.all([loadPlacements(), loadCounters(), api('/api/convergence').then(showConvergence)]);

// Live: everything after the initial load arrives through server-sent events.
const live = document.getElementById('live');
const source = new EventSource('/api/stream');
source.onopen = () => { live.className = 'badge ok'; live.textContent = '● live'; };
source.onerror = () => { live.className = 'badge bad'; live.textContent = 'reconnecting…'; };
source.addEventListener('run', (m) => {
  const r = JSON.parse(m.data);
  if (seenRuns.has(r.id)) return;
  seenRuns.add(r.id);
  addRun(r);
});
source.addEventListener('action', (m) => {
  const e = JSON.parse(m.data);
  if (events.has(e.id)) return;
  e.feedback ??= [];
  events.set(e.id, e);
  renderEvent(e, true);
  setStat('actions', counts.actions + 1);
  loadPlacements();
});
source.addEventListener('feedback', (m) => {
  const f = JSON.parse(m.data);
  const e = events.get(f.eventId);
  if (!e || e.feedback.some((x) => x.appId === f.appId)) return;
  e.feedback.push(f);
  renderEvent(e, true);
  setStat('feedback', counts.feedback + 1);
});
source.addEventListener('event', (m) => {
  const e = JSON.parse(m.data);
  const known = events.get(e.id);
  const merged = { ...e, feedback: known ? known.feedback : [] };
  events.set(e.id, merged);
  renderEvent(merged, true);
  loadCounters();
});
source.addEventListener('convergence', (m) => showConvergence(JSON.parse(m.data)));
source.addEventListener('node', () => loadPlacements());
source.addEventListener('timeline', (m) => addStep(JSON.parse(m.data), true));
source.addEventListener('stream-window', (m) => onStreamWindow(JSON.parse(m.data)));
window.fogsimStream = source;
// for tests and the curious: each step with its x on the charts
window.fogsimSteps = () => steps.map((t) => ({ ...t, x: stepX(t) }));
