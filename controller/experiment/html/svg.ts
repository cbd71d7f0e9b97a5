/*
 * Small inline-SVG charts for the self-contained report pages (no library, no script, opens
 * offline): a line-and-point chart over time with threshold lines and vertical markers, and box
 * plots of values per group. Pure string building.
 */

export const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A readable number: at most 4 significant digits, thousands as k/M. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e9) return `${+(x / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(x / 1e3).toPrecision(3)}k`;
  return String(+x.toPrecision(4));
}

/** Ticks at 1, 2 or 5 times a power of ten covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function extent(values: number[], pad = 0.05): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

export interface LineChart {
  title: string;
  xLabel?: string;
  width?: number;
  height?: number;
  /** points as [x, y, ok?]: ok false draws the point as a violation */
  series: { name: string; color: string; points: [number, number, boolean?][] }[];
  /** horizontal lines, e.g. goal thresholds */
  thresholds?: { y: number; label: string; color?: string }[];
  /** vertical lines, e.g. actions and timeline steps */
  markers?: { x: number; label: string; color: string; dashed?: boolean }[];
  /** the x range to show (default: the data's) */
  xRange?: [number, number];
}

const M = { l: 56, r: 12, t: 22, b: 30 };

export function lineChartSvg(c: LineChart): string {
  const W = c.width ?? 640;
  const H = c.height ?? 220;
  const pts = c.series.flatMap((s) => s.points);
  const xs = [...pts.map((p) => p[0]), ...(c.markers ?? []).map((m) => m.x)];
  const [x0, x1] = c.xRange ?? extent(xs.length ? xs : [0, 1], 0);
  const [y0, y1] = extent([...pts.map((p) => p[1]), ...(c.thresholds ?? []).map((t) => t.y)].filter(Number.isFinite));
  const X = (x: number) => M.l + ((x - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const Y = (y: number) => H - M.b - ((y - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart line" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(c.title)}">`);
  out.push(`<text x="${M.l}" y="14" class="title">${esc(c.title)}</text>`);
  for (const t of niceTicks(y0, y1, 4)) {
    out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" class="grid"/><text x="${M.l - 4}" y="${(Y(t) + 3).toFixed(1)}" class="tick" text-anchor="end">${esc(fmt(t))}</text>`);
  }
  for (const t of niceTicks(x0, x1, 6)) {
    out.push(`<text x="${X(t).toFixed(1)}" y="${H - M.b + 13}" class="tick" text-anchor="middle">${esc(fmt(t))}</text>`);
  }
  if (c.xLabel) out.push(`<text x="${W - M.r}" y="${H - 4}" class="tick" text-anchor="end">${esc(c.xLabel)}</text>`);
  out.push(`<rect x="${M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" class="frame"/>`);
  for (const m of c.markers ?? []) {
    if (m.x < x0 || m.x > x1) continue;
    const x = X(m.x).toFixed(1);
    out.push(`<g class="marker"><line x1="${x}" x2="${x}" y1="${M.t}" y2="${H - M.b}" stroke="${esc(m.color)}"${m.dashed ? ' stroke-dasharray="4 3"' : ''}/><title>${esc(`${m.label} at ${fmt(m.x)} s`)}</title></g>`);
    out.push(`<text x="${x}" y="${M.t + 9}" class="mlabel" fill="${esc(m.color)}" transform="rotate(90 ${x} ${M.t + 9})">${esc(m.label)}</text>`);
  }
  for (const t of c.thresholds ?? []) {
    const y = Y(t.y).toFixed(1);
    out.push(`<g class="threshold"><line x1="${M.l}" x2="${W - M.r}" y1="${y}" y2="${y}" stroke="${esc(t.color ?? '#c0392b')}" stroke-dasharray="6 4"/><title>${esc(t.label)}</title></g>`);
    out.push(`<text x="${W - M.r - 2}" y="${(Number(y) - 3).toFixed(1)}" class="tlabel" text-anchor="end" fill="${esc(t.color ?? '#c0392b')}">${esc(t.label)}</text>`);
  }
  for (const s of c.series) {
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    if (sorted.length > 1) out.push(`<polyline class="series" fill="none" stroke="${esc(s.color)}" points="${sorted.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ')}"/>`);
    out.push(
      `<g class="points" data-series="${esc(s.name)}">${sorted.map((p) => `<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="2.2" fill="${p[2] === false ? '#c0392b' : esc(s.color)}"/>`).join('')}</g>`,
    );
  }
  if (!pts.length) out.push(`<text x="${W / 2}" y="${H / 2}" class="tick" text-anchor="middle">no runs</text>`);
  out.push('</svg>');
  return out.join('');
}

export interface BoxStats {
  n: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  mean: number;
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: number[], p: number): number {
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (i - lo);
}

export function boxStats(values: readonly number[]): BoxStats | null {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return null;
  return { n: v.length, min: v[0], q1: quantile(v, 0.25), median: quantile(v, 0.5), q3: quantile(v, 0.75), max: v[v.length - 1], mean: v.reduce((s, x) => s + x, 0) / v.length };
}

export interface BoxPlot {
  title: string;
  groups: { name: string; values: number[] }[];
  width?: number;
  height?: number;
}

/** Box (quartiles), whiskers (min to max), the median as a line, the mean as a diamond, every value as a dot. */
export function boxPlotSvg(c: BoxPlot): string {
  const W = c.width ?? Math.max(320, 90 + c.groups.length * 90);
  const H = c.height ?? 240;
  const b = { ...M, b: 48 };
  const all = c.groups.flatMap((g) => g.values).filter(Number.isFinite);
  const [y0, y1] = extent(all.length ? all : [0, 1]);
  const Y = (y: number) => H - b.b - ((y - y0) / (y1 - y0 || 1)) * (H - b.t - b.b);
  const slot = (W - b.l - b.r) / Math.max(1, c.groups.length);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart box" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(c.title)}">`);
  out.push(`<text x="${b.l}" y="14" class="title">${esc(c.title)}</text>`);
  for (const t of niceTicks(y0, y1, 4)) {
    out.push(`<line x1="${b.l}" x2="${W - b.r}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" class="grid"/><text x="${b.l - 4}" y="${(Y(t) + 3).toFixed(1)}" class="tick" text-anchor="end">${esc(fmt(t))}</text>`);
  }
  out.push(`<rect x="${b.l}" y="${b.t}" width="${W - b.l - b.r}" height="${H - b.t - b.b}" class="frame"/>`);
  c.groups.forEach((g, i) => {
    const cx = b.l + slot * (i + 0.5);
    const w = Math.min(44, slot * 0.5);
    const name = g.name.length > 22 ? `${g.name.slice(0, 21)}…` : g.name;
    out.push(`<text x="${cx.toFixed(1)}" y="${H - b.b + 14}" class="tick" text-anchor="middle">${esc(name)}<title>${esc(g.name)}</title></text>`);
    const s = boxStats(g.values);
    if (!s) {
      out.push(`<text x="${cx.toFixed(1)}" y="${((b.t + H - b.b) / 2).toFixed(1)}" class="tick" text-anchor="middle">no value</text>`);
      return;
    }
    out.push(`<text x="${cx.toFixed(1)}" y="${H - b.b + 27}" class="tick" text-anchor="middle">n=${s.n}</text>`);
    const tip = `${g.name}: n=${s.n}, min ${fmt(s.min)}, q1 ${fmt(s.q1)}, median ${fmt(s.median)}, q3 ${fmt(s.q3)}, max ${fmt(s.max)}, mean ${fmt(s.mean)}`;
    out.push(`<g class="boxg"><title>${esc(tip)}</title>`);
    out.push(`<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${Y(s.min).toFixed(1)}" y2="${Y(s.max).toFixed(1)}" class="whisker"/>`);
    for (const v of [s.min, s.max]) out.push(`<line x1="${(cx - w / 4).toFixed(1)}" x2="${(cx + w / 4).toFixed(1)}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" class="whisker"/>`);
    out.push(`<rect x="${(cx - w / 2).toFixed(1)}" y="${Y(s.q3).toFixed(1)}" width="${w.toFixed(1)}" height="${Math.max(1, Y(s.q1) - Y(s.q3)).toFixed(1)}" class="boxr"/>`);
    out.push(`<line x1="${(cx - w / 2).toFixed(1)}" x2="${(cx + w / 2).toFixed(1)}" y1="${Y(s.median).toFixed(1)}" y2="${Y(s.median).toFixed(1)}" class="median"/>`);
    const my = Y(s.mean);
    out.push(`<path d="M${cx.toFixed(1)} ${(my - 4).toFixed(1)} l4 4 l-4 4 l-4 -4 z" class="mean"/>`);
    g.values.filter(Number.isFinite).forEach((v, k) => out.push(`<circle cx="${(cx + w / 2 + 6 + (k % 3) * 3).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="2" class="dot"/>`));
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}

/** The page's style: one block shared by the run page and the comparison report. */
export const CHART_CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:15px;margin:16px 0 4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg.chart{background:#fff;border:1px solid #e4e4e4}
svg .title{font-size:12px;font-weight:600;fill:#333}svg .tick{font-size:10px;fill:#666}
svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#bbb}svg .series{stroke-width:1.2}
svg .mlabel,svg .tlabel{font-size:9px}
svg .whisker{stroke:#555}svg .boxr{fill:#cfe3f5;stroke:#2c6fb0}svg .median{stroke:#1b3f66;stroke-width:2}svg .mean{fill:#e67e22}svg .dot{fill:#2c6fb0;opacity:.55}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:4px}
details{margin:8px 0;border:1px solid #e4e4e4;padding:4px 10px}summary{cursor:pointer;font-weight:600}
.err{color:#c0392b}.scroll{overflow-x:auto}
`;
