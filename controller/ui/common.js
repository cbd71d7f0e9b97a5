// Shared helpers of the admin page and the dashboard (plain ES modules, no build step).

const TOKEN_KEY = 'fogsim.adminToken';

/** Calls the REST API; a non-2xx answer throws an Error carrying the server's `error` message. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = localStorage.getItem(TOKEN_KEY);
  if (token && method !== 'GET') headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401) showTokenBox();
    const err = new Error(data.error || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

/** Builds an element: el('td', {class: 'num'}, 'text', child). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

export const METRIC_LABEL = {
  responseTime: 'response time', executionTime: 'execution time', throughput: 'throughput',
  latency: 'network latency', availability: 'availability', consistency: 'consistency',
};
export const METRIC_UNIT = { responseTime: 'ms', executionTime: 'ms', throughput: 'rec/s', latency: 'ms', availability: '%', consistency: '' };
/** Run row field of each metric. */
export const RUN_FIELD = { responseTime: 'rtMs', executionTime: 'etMs', throughput: 'throughput', latency: 'latencyMs', availability: 'availability', consistency: 'consistency' };

export function fmtNum(v, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (Math.abs(v) >= 10000) return Math.round(v).toLocaleString('en');
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

export function fmtTime(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  return d.toLocaleTimeString('en-GB', { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0').slice(0, 1);
}

/** "responseTime ≤ 800 ms AND availability ≥ 95 %" */
export function fmtGoal(g) {
  if (!g) return '–';
  if (g.all) return g.all.map((x) => (x.all || x.any ? `(${fmtGoal(x)})` : fmtGoal(x))).join(' AND ');
  if (g.any) return g.any.map((x) => (x.all || x.any ? `(${fmtGoal(x)})` : fmtGoal(x))).join(' OR ');
  const unit = METRIC_UNIT[g.metric] ? ` ${METRIC_UNIT[g.metric]}` : '';
  return g.min !== undefined ? `${g.metric} ≥ ${g.min}${unit}` : `${g.metric} ≤ ${g.max}${unit}`;
}

/** One line for a timeline step row ({kind, args}), as the report labels it (model/steps.ts describeStep). */
export function fmtStep(t) {
  const a = t.args || {};
  switch (t.kind) {
    case 'setLatency': return `setLatency ${a.from}-${a.to} ${a.latencyMs} ms`;
    case 'setAvailability': return `setAvailability node ${a.node} ${a.availability} %`;
    case 'nodeDown': case 'nodeUp': return `${t.kind} node ${a.node}`;
    case 'addNode': return `addNode node ${a.id}${a.goal ? ' with an app' : ''}`;
    case 'setBandwidth': return `setBandwidth ${a.from}-${a.to} ${a.rateKBps ? `${a.rateKBps} KB/s` : 'unlimited'}`;
    case 'setGoal': return `setGoal app ${a.app}`;
    case 'deleteApp': return `deleteApp app ${a.app}`;
    case 'deleteNode': return `deleteNode node ${a.node}`;
    default: return t.kind;
  }
}

/** Every {metric, min|max} term of a goal, in order. */
export function goalTerms(g, out = []) {
  if (!g) return out;
  if (g.all || g.any) for (const x of g.all || g.any) goalTerms(x, out);
  else out.push(g);
  return out;
}

export function showTokenBox() {
  document.querySelector('.token-box')?.classList.add('show');
}

/** The header: brand, navigation, and a token field that appears when a write is refused. */
export function renderHeader(active) {
  const input = el('input', { type: 'text', placeholder: 'admin token', size: 14, value: localStorage.getItem(TOKEN_KEY) || '' });
  const box = el('span', { class: 'token-box' }, input, el('button', { onclick: () => { localStorage.setItem(TOKEN_KEY, input.value.trim()); box.classList.remove('show'); } }, 'use token'));
  const status = el('span', { class: 'status', id: 'status' });
  const header = el('header', { class: 'top' },
    el('span', { class: 'brand' }, 'fogsim', el('small', {}, 'fog QoS testbed')),
    el('nav', {},
      el('a', { href: '/', class: active === 'admin' ? 'active' : undefined }, 'Admin'),
      el('a', { href: '/dashboard', class: active === 'dashboard' ? 'active' : undefined }, 'Dashboard')),
    el('span', { class: 'spacer' }), box, status);
  document.body.prepend(header);
  api('/api/health').then((h) => {
    status.prepend(el('span', {}, `scenario ${h.scenario ?? '–'} · ${h.store} store · ${h.nodes} nodes`));
  }).catch(() => status.prepend(el('span', { class: 'badge bad' }, 'controller unreachable')));
  return status;
}

/** Colour of an impact value in [-1, 1]: green helps, red hurts. */
export function impactStyle(v) {
  const a = Math.min(1, Math.abs(v));
  return v >= 0 ? `background: rgba(26,127,75,${0.08 + a * 0.35})` : `background: rgba(194,54,43,${0.08 + a * 0.35})`;
}
