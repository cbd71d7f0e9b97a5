import { api, el, fmtGoal, fmtNum, fmtStep, fmtTime, impactStyle, renderHeader } from './common.js';

renderHeader('admin');

let nodes = [];
let links = [];

function latencyOf(a, b) {
  if (a === b) return 0;
  const l = links.find((x) => x.from === a && x.to === b) ?? links.find((x) => x.from === b && x.to === a);
  return l ? l.latencyMs : undefined;
}

/** Validates a latency cell; returns the number or an error message. */
function checkLatency(text) {
  if (text.trim() === '') return { error: 'required' };
  const v = Number(text);
  if (!Number.isFinite(v)) return { error: 'not a number' };
  if (v < 0) return { error: 'must be ≥ 0 ms' };
  return { value: v };
}

function checkAvailability(text) {
  if (text.trim() === '') return { error: 'required (0–100)' };
  const v = Number(text);
  if (!Number.isFinite(v)) return { error: 'not a number; enter 0–100' };
  if (v < 0 || v > 100) return { error: 'must be between 0 and 100 %' };
  return { value: v };
}

function flashSaved(input) {
  input.classList.add('saved');
  setTimeout(() => input.classList.remove('saved'), 900);
}

function renderMatrix() {
  const t = document.getElementById('matrix');
  const msg = document.getElementById('matrix-msg');
  t.replaceChildren();
  t.append(el('thead', {}, el('tr', {}, el('th', {}, 'from \\ to'), nodes.map((n) => el('th', { class: 'num' }, `node ${n.id}`)))));
  const body = el('tbody');
  for (const a of nodes) {
    const row = el('tr', {}, el('th', { class: 'rowhead' }, `node ${a.id}`));
    for (const b of nodes) {
      if (a.id === b.id) { row.append(el('td', { class: 'self' }, '0')); continue; }
      const cur = latencyOf(a.id, b.id);
      const err = el('span', { class: 'field-error', 'data-for': `lat-${a.id}-${b.id}` });
      const input = el('input', { type: 'number', min: 0, step: 1, value: cur ?? '', id: `lat-${a.id}-${b.id}`, 'aria-label': `latency from node ${a.id} to node ${b.id} in ms`, dataset: { from: a.id, to: b.id } });
      input.addEventListener('change', async () => {
        const r = checkLatency(input.value);
        if (r.error) { input.classList.add('invalid'); err.textContent = r.error; return; }
        input.classList.remove('invalid'); err.textContent = '';
        try {
          await api(`/api/links/${a.id}/${b.id}`, { method: 'PUT', body: { latencyMs: r.value } });
          const mirror = document.getElementById(`lat-${b.id}-${a.id}`);
          links = links.filter((l) => !((l.from === a.id && l.to === b.id) || (l.from === b.id && l.to === a.id)));
          links.push({ from: a.id, to: b.id, latencyMs: r.value }, { from: b.id, to: a.id, latencyMs: r.value });
          if (mirror) { mirror.value = String(r.value); flashSaved(mirror); }
          flashSaved(input);
          msg.className = 'msg ok';
          msg.textContent = `saved: node ${a.id} ↔ node ${b.id} = ${r.value} ms (both directions)`;
        } catch (e) {
          msg.className = 'msg err';
          msg.textContent = e.message;
        }
      });
      row.append(el('td', { class: 'num' }, input, err));
    }
    body.append(row);
  }
  t.append(body);
}

function renderNodes() {
  const t = document.getElementById('nodes-table');
  const msg = document.getElementById('nodes-msg');
  t.replaceChildren(el('thead', {}, el('tr', {}, el('th', {}, 'id'), el('th', {}, 'name'), el('th', {}, 'availability %'), el('th', {}, 'storage'), el('th', {}, 'delete'))));
  const body = el('tbody');
  for (const n of nodes) {
    const err = el('span', { class: 'field-error', id: `avail-err-${n.id}`, role: 'alert' });
    const input = el('input', { type: 'number', min: 0, max: 100, step: 0.1, value: n.availability, id: `avail-${n.id}`, 'aria-label': `availability of node ${n.id} in percent`, 'aria-describedby': `avail-err-${n.id}` });
    input.addEventListener('change', async () => {
      const r = checkAvailability(input.value);
      // An invalid value is shown and never sent.
      if (r.error) { input.classList.add('invalid'); err.textContent = r.error; return; }
      input.classList.remove('invalid'); err.textContent = '';
      try {
        const updated = await api(`/api/nodes/${n.id}`, { method: 'PUT', body: { availability: r.value } });
        n.availability = updated.availability;
        flashSaved(input);
        msg.className = 'msg ok';
        msg.textContent = `saved: node ${n.id} availability = ${updated.availability} %`;
      } catch (e) { msg.className = 'msg err'; msg.textContent = e.message; }
    });
    const storage = el('input', { type: 'checkbox', id: `storage-${n.id}`, checked: n.storage, 'aria-label': `node ${n.id} may host data` });
    storage.addEventListener('change', async () => {
      try {
        const updated = await api(`/api/nodes/${n.id}`, { method: 'PUT', body: { storage: storage.checked } });
        n.storage = updated.storage;
        msg.className = 'msg ok';
        msg.textContent = `saved: node ${n.id} ${updated.storage ? 'may' : 'may not'} host data`;
      } catch (e) { storage.checked = !storage.checked; msg.className = 'msg err'; msg.textContent = e.message; }
    });
    // the server refuses what would strand an app (409, the last copy of a data set): its message shows as is
    const remove = async (path, what) => {
      if (!confirm(`Delete ${what}? Its runs and events stay.`)) return;
      try {
        const r = await api(path, { method: 'DELETE' });
        msg.className = 'msg ok';
        msg.textContent = `deleted ${what}${r.repointed?.length ? `; re-pointed ${r.repointed.map((x) => `app ${x.app} to copy ${x.to.copy} on node ${x.to.node}`).join(', ')}` : ''}${r.warnings?.length ? `; ${r.warnings.join('; ')}` : ''}`;
        await loadTopology();
      } catch (e) { msg.className = 'msg err'; msg.textContent = e.message; }
    };
    const deletes = el('td', {},
      el('button', { type: 'button', id: `delete-node-${n.id}`, class: 'danger', onclick: () => remove(`/api/nodes/${n.id}`, `node ${n.id} with its apps, links and copies`) }, 'node'),
      (n.apps ?? []).map((a) => el('button', { type: 'button', id: `delete-app-${a.id}`, class: 'danger', onclick: () => remove(`/api/apps/${a.id}`, `app ${a.id}`) }, `app ${a.id}`)));
    body.append(el('tr', {}, el('td', {}, n.id), el('td', {}, n.name), el('td', {}, input, err), el('td', {}, storage), deletes));
  }
  t.append(body);
}

function renderAddNode() {
  const form = document.getElementById('addnode-form');
  const msg = document.getElementById('addnode-msg');
  const nextId = nodes.reduce((m, n) => Math.max(m, n.id), 0) + 1;
  const field = (label, input) => el('label', {}, label, input);
  const idIn = el('input', { type: 'number', name: 'id', min: 1, value: nextId });
  const avIn = el('input', { type: 'number', name: 'availability', min: 0, max: 100, value: 90 });
  const stIn = el('select', { name: 'storage' }, el('option', { value: 'yes' }, 'yes'), el('option', { value: 'no' }, 'no'));
  const lat = nodes.map((n) => [n.id, el('input', { type: 'number', min: 0, name: `lat-${n.id}`, placeholder: 'ms' })]);
  form.replaceChildren(field('id', idIn), field('availability %', avIn), field('storage', stIn),
    ...lat.map(([id, inp]) => field(`latency to node ${id} (ms)`, inp)),
    el('button', { class: 'primary', type: 'submit' }, 'Add node'));
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const problems = [];
    const av = checkAvailability(avIn.value);
    if (av.error) problems.push(`availability: ${av.error}`);
    const latency = {};
    for (const [id, inp] of lat) {
      const r = checkLatency(inp.value);
      if (r.error) problems.push(`latency to node ${id}: ${r.error}`); else latency[id] = r.value;
    }
    if (problems.length) { msg.className = 'msg err'; msg.textContent = problems.join('; '); return; }
    try {
      const added = await api('/api/nodes', { method: 'POST', body: { id: Number(idIn.value), availability: av.value, storage: stIn.value === 'yes', latency } });
      msg.className = 'msg ok';
      msg.textContent = `added node ${added.node.id} with ${added.links.length} links`;
      await loadTopology();
    } catch (e) { msg.className = 'msg err'; msg.textContent = e.message; }
  };
}

// ---- a timeline step by hand ------------------------------------------------------------------

/**
 * The fields of each step kind (docs/scenario.md, timeline[].do): node and app pick from what
 * exists, latency is `peer=ms` pairs, goal is JSON. The server checks the step as it checks a
 * scenario's timeline, and its message names the field (`do.node: node 9 does not exist; ...`).
 */
const STEP_FIELDS = {
  setLatency: [['from', 'node'], ['to', 'node'], ['latencyMs', 'number', 'ms']],
  setAvailability: [['node', 'node'], ['availability', 'number', '%']],
  nodeDown: [['node', 'node']],
  nodeUp: [['node', 'node']],
  addNode: [['id', 'number', 'new node id'], ['availability', 'number', '%'], ['storage', 'bool'], ['latency', 'pairs', 'to each node, e.g. 1=800,2=900'], ['goal', 'json', 'optional: an app on it, e.g. {"metric":"responseTime","max":800}']],
  setBandwidth: [['from', 'node'], ['to', 'node'], ['rateKBps', 'number', 'KB/s, 0 lifts the limit']],
  setGoal: [['app', 'app'], ['goal', 'json', 'e.g. {"metric":"responseTime","max":900}']],
  deleteApp: [['app', 'app']],
  deleteNode: [['node', 'node']],
};
let appIds = [];
let stepKind = 'setLatency';

function renderStepForm() {
  const form = document.getElementById('step-form');
  const msg = document.getElementById('step-msg');
  const kind = el('select', { name: 'kind', 'aria-label': 'step kind' }, Object.keys(STEP_FIELDS).map((k) => el('option', { value: k, selected: k === stepKind }, k)));
  kind.addEventListener('change', () => { stepKind = kind.value; renderStepForm(); });
  const inputs = STEP_FIELDS[stepKind].map(([name, type, hint]) => {
    let input;
    if (type === 'node' || type === 'app') {
      const ids = type === 'node' ? nodes.map((n) => n.id) : appIds;
      // `to` starts on another node than `from`
      input = el('select', { name }, ids.map((id, i) => el('option', { value: id, selected: name === 'to' && i === 1 }, `${type} ${id}`)));
    } else if (type === 'bool') input = el('select', { name }, el('option', { value: 'true' }, 'yes'), el('option', { value: 'false' }, 'no'));
    else input = el('input', { type: type === 'number' ? 'number' : 'text', name, placeholder: hint ?? '' });
    return [name, type, input];
  });
  form.replaceChildren(el('label', {}, 'step', kind), ...inputs.map(([name, , input]) => el('label', {}, name, input)), el('button', { class: 'primary', type: 'submit' }, 'Apply'));
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const step = { kind: stepKind };
    const problems = [];
    for (const [name, type, input] of inputs) {
      const v = input.value.trim();
      if (v === '') continue; // left out: the server says what is required
      if (type === 'node' || type === 'app' || type === 'number') step[name] = Number(v);
      else if (type === 'bool') step[name] = v === 'true';
      else if (type === 'json') {
        try { step[name] = JSON.parse(v); } catch { problems.push(`do.${name}: not valid JSON`); }
      } else if (type === 'pairs') {
        const map = {};
        for (const part of v.split(',').map((x) => x.trim()).filter(Boolean)) {
          const m = /^(\d+)\s*=\s*(-?\d+(?:\.\d+)?)$/.exec(part);
          if (!m) { problems.push(`do.${name}: cannot read ${JSON.stringify(part)}; expected peer=ms pairs such as 1=800,2=900`); continue; }
          map[m[1]] = Number(m[2]);
        }
        step[name] = map;
      }
    }
    if (problems.length) { msg.className = 'msg err'; msg.textContent = problems.join('; '); return; }
    try {
      const row = await api('/api/timeline', { method: 'POST', body: { do: step } });
      msg.className = 'msg ok';
      msg.textContent = `applied: ${fmtStep(row)} (step #${row.id})`;
      await loadTopology();
      if (state.table === 'timeline') loadTable();
    } catch (e) { msg.className = 'msg err'; msg.textContent = e.message; }
  };
}

async function loadTopology() {
  let apps;
  [nodes, links, apps] = await Promise.all([api('/api/nodes'), api('/api/links'), api('/api/apps')]);
  appIds = apps.map((a) => a.id);
  renderMatrix();
  renderNodes();
  renderAddNode();
  renderStepForm();
  renderDrift().catch(() => undefined);
}

/** Where the store differs from the scenario file: kept over a restart; fogsim up --reset applies the file. */
async function renderDrift() {
  const box = document.getElementById('drift');
  const d = await api('/api/drift');
  box.hidden = d.items.length === 0;
  if (box.hidden) return;
  const file = d.file ? d.file.split('/').pop() : 'the scenario file';
  box.replaceChildren(
    el('b', {}, `${d.items.length} difference(s) from ${file}`),
    ` (kept over a restart; fogsim up --reset applies the file): `,
    d.items.slice(0, 12).map((x) => `${x.what} ${x.store} (file ${x.file})`).join(', ') + (d.items.length > 12 ? ', …' : ''),
  );
}

// ---- table browser -------------------------------------------------------------------------

const yesNo = (b) => (b ? 'yes' : 'no');
const num = (v, d) => ({ text: fmtNum(v, d), num: true });

/**
 * Each table: how to fetch a page (server-side paging for runs and events, which grow without
 * bound; the others are small and filtered here), its filters and its columns.
 */
const TABLES = {
  nodes: { title: 'nodes', filters: ['text'], load: () => api('/api/nodes'),
    cols: [['id', (r) => r.id], ['name', (r) => r.name], ['availability %', (r) => num(r.availability)], ['storage', (r) => yesNo(r.storage)]] },
  links: { title: 'links', filters: ['node'], load: (f) => api(`/api/links${f.node ? `?node=${f.node}` : ''}`),
    cols: [['from', (r) => r.from], ['to', (r) => r.to], ['latency ms', (r) => num(r.latencyMs)]] },
  apps: { title: 'apps', filters: ['text'], load: () => api('/api/apps'),
    cols: [['id', (r) => r.id], ['node', (r) => r.nodeId], ['reference copy', (r) => r.datasetId ?? '–'], ['data on node', (r) => r.dataNode ?? '–'], ['goal', (r) => fmtGoal(r.goal)]] },
  placements: { title: 'placements', filters: ['text'], load: () => api('/api/placements'),
    cols: [['copy', (r) => r.id], ['family', (r) => r.familyId], ['node', (r) => r.nodeId], ['bucket', (r) => r.bucket], ['object', (r) => r.objectKey], ['version', (r) => r.version], ['created', (r) => fmtTime(r.createdAtMs)], ['referenced by apps', (r) => r.referencedBy.join(', ') || '–']] },
  events: { title: 'events + feedback', filters: ['appId', 'active', 'action'], server: true,
    load: (f, limit, offset) => api(`/api/events?${qs({ limit, offset, appId: f.appId, active: f.active, action: f.action })}`),
    cols: [['id', (r) => r.id], ['app', (r) => r.appId], ['action', (r) => r.actionLabel], ['type', (r) => r.actionType], ['explored', (r) => yesNo(r.explored)], ['created', (r) => fmtTime(r.createdAtMs)], ['closes', (r) => fmtTime(r.closesAtMs)], ['open', (r) => yesNo(r.active)],
      ['feedback', (r) => r.feedback.map((x) => `app ${x.appId}: ${x.value.toFixed(2)}`).join(', ') || '–'], ['sum', (r) => num(r.sumFeedback, 2)], ['global', (r) => num(r.globalFeedback, 2)]] },
  counters: { title: 'action counters', filters: ['text'], load: () => api('/api/counters'),
    cols: [['action', (r) => r.label], ['counter', (r) => num(r.value)]] },
  impacts: { title: 'impact vectors', filters: ['appId', 'text'], load: (f) => api(`/api/impacts${f.appId ? `?appId=${f.appId}` : ''}`),
    cols: [['app', (r) => r.appId], ['action', (r) => r.actionLabel],
      ...['responseTime', 'executionTime', 'throughput', 'latency', 'availability', 'consistency'].map((m, i) => [['RT', 'ET', 'X', 'NL', 'A', 'DC'][i], (r) => ({ impact: r.vector[m] })]),
      ['source', (r) => r.source], ['updated', (r) => fmtTime(r.updatedAtMs)]] },
  timeline: { title: 'timeline', filters: ['text'], load: async () => (await api('/api/timeline')).reverse(),
    cols: [['id', (r) => r.id], ['applied', (r) => fmtTime(r.atMs)], ['kind', (r) => r.kind], ['step', (r) => fmtStep(r)], ['source', (r) => r.source], ['error', (r) => r.error ?? '']] },
  runs: { title: 'runs', filters: ['appId'], server: true,
    load: (f, limit, offset) => api(`/api/runs?${qs({ limit, offset, appId: f.appId, order: 'desc' })}`),
    cols: [['id', (r) => r.id], ['app', (r) => r.appId], ['started', (r) => fmtTime(r.startedAtMs)], ['data node', (r) => r.dataNode ?? '–'], ['RT ms', (r) => num(r.rtMs)], ['ET ms', (r) => num(r.etMs)], ['X rec/s', (r) => num(r.throughput, 0)], ['NL ms', (r) => num(r.latencyMs)], ['A %', (r) => num(r.availability)], ['DC', (r) => num(r.consistency, 2)],
      ['goal', (r) => ({ badge: r.goalMet ? 'met' : 'violated', cls: r.goalMet ? 'ok' : 'bad' })], ['action', (r) => r.actionLabel ?? '–'], ['error', (r) => r.error ?? '']] },
};

function qs(o) {
  return new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')).toString();
}

const state = { table: 'nodes', filters: {}, offset: 0, limit: 25 };

function renderTabs() {
  const tabs = document.getElementById('tabs');
  tabs.replaceChildren(...Object.entries(TABLES).map(([key, t]) => el('button', { role: 'tab', class: key === state.table ? 'active' : undefined, 'data-table': key, onclick: () => { state.table = key; state.filters = {}; state.offset = 0; renderTabs(); renderFilters(); loadTable(); } }, t.title)));
}

function renderFilters() {
  const box = document.getElementById('filters');
  const t = TABLES[state.table];
  const inputs = [];
  const onChange = (k) => (e) => { state.filters[k] = e.target.value.trim(); state.offset = 0; loadTable(); };
  for (const f of t.filters) {
    if (f === 'text') inputs.push(el('label', {}, 'contains ', el('input', { type: 'text', name: 'text', placeholder: 'filter rows', oninput: onChange('text') })));
    if (f === 'appId') inputs.push(el('label', {}, 'app ', el('input', { type: 'number', name: 'appId', min: 1, placeholder: 'any', onchange: onChange('appId') })));
    if (f === 'node') inputs.push(el('label', {}, 'node ', el('input', { type: 'number', name: 'node', min: 1, placeholder: 'any', onchange: onChange('node') })));
    if (f === 'action') inputs.push(el('label', {}, 'action ', el('input', { type: 'text', name: 'action', size: 8, placeholder: 'e.g. M3_1', onchange: onChange('action') })));
    if (f === 'active') inputs.push(el('label', {}, 'state ', el('select', { name: 'active', onchange: onChange('active') }, el('option', { value: '' }, 'any'), el('option', { value: 'true' }, 'open'), el('option', { value: 'false' }, 'closed'))));
  }
  inputs.push(el('label', {}, 'rows ', el('select', { name: 'limit', onchange: (e) => { state.limit = Number(e.target.value); state.offset = 0; loadTable(); } }, [10, 25, 50, 100].map((n) => el('option', { value: n, selected: n === state.limit }, n)))));
  box.replaceChildren(...inputs);
}

function cell(v) {
  if (v && typeof v === 'object' && 'impact' in v) return el('td', { class: 'num' }, el('span', { class: 'impact', style: impactStyle(v.impact) }, v.impact.toFixed(2)));
  if (v && typeof v === 'object' && 'badge' in v) return el('td', {}, el('span', { class: `badge ${v.cls}` }, v.badge));
  if (v && typeof v === 'object' && 'num' in v) return el('td', { class: 'num' }, v.text);
  return el('td', {}, v ?? '');
}

let loadSeq = 0;
async function loadTable() {
  const seq = ++loadSeq;
  const t = TABLES[state.table];
  const table = document.getElementById('browse-table');
  const pager = document.getElementById('pager');
  let rows;
  let total;
  try {
    if (t.server) {
      const page = await t.load(state.filters, state.limit, state.offset);
      rows = page.items; total = page.total;
    } else {
      let all = await t.load(state.filters);
      const text = (state.filters.text || '').toLowerCase();
      if (text) all = all.filter((r) => JSON.stringify(r).toLowerCase().includes(text));
      total = all.length;
      rows = all.slice(state.offset, state.offset + state.limit);
    }
  } catch (e) {
    if (seq !== loadSeq) return;
    table.replaceChildren(el('tbody', {}, el('tr', {}, el('td', { class: 'field-error' }, e.message))));
    pager.replaceChildren();
    return;
  }
  if (seq !== loadSeq) return;
  table.replaceChildren(el('thead', {}, el('tr', {}, t.cols.map(([h]) => el('th', {}, h)))),
    el('tbody', {}, rows.length ? rows.map((r) => el('tr', {}, t.cols.map(([, f]) => cell(f(r))))) : el('tr', {}, el('td', { colspan: t.cols.length, class: 'muted' }, 'no rows'))));
  const from = total ? state.offset + 1 : 0;
  const to = Math.min(total, state.offset + state.limit);
  pager.replaceChildren(
    el('button', { disabled: state.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - state.limit); loadTable(); } }, '‹ prev'),
    el('span', { id: 'pager-info' }, `${from}–${to} of ${total}`),
    el('button', { disabled: to >= total, onclick: () => { state.offset += state.limit; loadTable(); } }, 'next ›'),
    el('button', { onclick: () => loadTable() }, 'refresh'));
}

await loadTopology().catch((e) => { document.getElementById('matrix-msg').textContent = e.message; });
renderTabs();
renderFilters();
loadTable();

// Changes made elsewhere (another browser, `fogsim add-node`, the API) show up without a reload;
// a field being edited is left alone until the user is done with it.
const stream = new EventSource('/api/stream');
let pending = false;
const refreshTopology = () => {
  const editing = document.activeElement && document.activeElement.matches('#matrix input, #nodes-table input, #addnode-form input, #step-form input, #step-form select');
  if (editing) { pending = true; return; }
  pending = false;
  loadTopology().catch(() => undefined);
};
stream.addEventListener('node', refreshTopology);
stream.addEventListener('link', refreshTopology);
// a step applied by the scenario's timeline (or another browser) changes the topology too
stream.addEventListener('timeline', refreshTopology);
document.addEventListener('focusout', () => { if (pending) setTimeout(refreshTopology, 0); });
