import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { z } from 'zod';
import { latencyProblem, MAX_SCENARIO_ID, SCENARIO_ID_RANGE } from '../limits.js';
import {
  availabilitySchema,
  checkAvailability,
  DEFAULT_AVAILABILITY,
  drawAvailability,
  drawStorage,
  storageFractionSchema,
  STREAM,
  streamRng,
  type GeneratedNode,
} from './common.js';
import type { GeneratedTopology } from './types.js';
import { parseXml, XmlError, type XmlElement } from './xml.js';

/*
 * An imported network: a CSV of edges (from,to,latencyMs), optionally a CSV of nodes
 * (id,availability[,storage]), or a GraphML file (nodes with an availability data key, edges
 * with a latency data key). The edges become the scenario's links; a pair without an edge gets
 * the latency of its shortest path (the network must be connected).
 */

export const fileTopologySchema = z
  .object({
    generator: z.literal('file').describe('import a network from a file (may be left out when file is given)'),
    file: z.string().min(1).describe('a CSV (header from,to,latencyMs) or GraphML (.graphml) network, relative to the scenario file; a pair without an edge gets its shortest path'),
    nodesFile: z.string().min(1).optional().describe('with a CSV network: a CSV of nodes, header id,availability and optionally storage (true/false)'),
    latencyKey: z.string().min(1).default('latencyMs').describe('GraphML: the edge data key (its id or attr.name) holding the latency, ms'),
    availabilityKey: z.string().min(1).default('availability').describe('GraphML: the node data key (its id or attr.name) holding the availability, percent'),
    seed: z.number().int().optional().describe("seed of the draws for nodes the file gives no availability or storage (default: the scenario's seed)"),
    availability: availabilitySchema.default(DEFAULT_AVAILABILITY).describe('availability of a node the file gives none'),
    storage: storageFractionSchema.default(1).describe('fraction of the nodes without a storage column that may host the data set'),
  })
  .strict();

export type FileTopologySpec = z.infer<typeof fileTopologySchema>;

/** Files past these are refused before they are read: the scenario must load in seconds. */
export const MAX_TOPOLOGY_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_TOPOLOGY_EDGES = 2_000_000;
/** At most this many problems per file are listed. */
const MAX_PROBLEMS = 20;

interface Edge {
  from: number;
  to: number;
  latencyMs: number;
}
interface NodeFacts {
  availability?: number;
  storage?: boolean;
  name?: string;
}
interface Network {
  edges: Edge[];
  /** node id -> what the file says of it, in file order */
  nodes: Map<number, NodeFacts>;
}

class Problems {
  readonly list: string[] = [];
  constructor(readonly where: string) {}
  add(msg: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push(`${this.where}: ${msg}`);
    else if (this.list.length === MAX_PROBLEMS) this.list.push(`${this.where}: more problems not listed; fix the ones above first`);
  }
}

function readText(file: string, p: Problems): string | undefined {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    p.add(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; the path is relative to the scenario file`);
    return undefined;
  }
  if (size === 0) p.add(`${file} is empty`);
  else if (size > MAX_TOPOLOGY_FILE_BYTES) p.add(`${file} is ${size} bytes, more than ${MAX_TOPOLOGY_FILE_BYTES} (64 MiB); use a generator (topology.generator) for networks this large`);
  else {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
    } catch {
      p.add(`${file} is not UTF-8 text`);
    }
  }
  return undefined;
}

const parseId = (raw: string): number | undefined => {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= 1 && n <= MAX_SCENARIO_ID ? n : undefined;
};

function parseAvailability(raw: string): number | undefined {
  const n = raw === '' ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= 100 ? n : undefined;
}

function parseBool(raw: string): boolean | undefined {
  return { true: true, '1': true, yes: true, false: false, '0': false, no: false }[raw.toLowerCase()];
}

/** Rows of a CSV with a header naming `required` (and maybe `optional`) columns; blank and # lines skipped. */
function csvRows(text: string, required: string[], optional: string[], p: Problems): { line: number; get: (c: string) => string | undefined }[] {
  const lines = text.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && (lines[h]!.trim() === '' || lines[h]!.trim().startsWith('#'))) h++;
  const header = (lines[h] ?? '').split(',').map((c) => c.trim());
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) {
    p.add(`line ${h + 1}: the header needs column(s) ${missing.join(', ')} (got ${header.join(',') || 'nothing'}); e.g. ${[...required, ...optional].join(',')}`);
    return [];
  }
  const col = new Map(header.map((c, i) => [c, i]));
  const rows = [];
  for (let i = h + 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '' || l.startsWith('#')) continue;
    const cells = l.split(',').map((c) => c.trim());
    if (cells.length !== header.length) {
      p.add(`line ${i + 1}: ${cells.length} column(s), the header has ${header.length}`);
      continue;
    }
    rows.push({ line: i + 1, get: (c: string) => (col.has(c) ? cells[col.get(c)!] : undefined) });
  }
  return rows;
}

function addEdge(net: Network, seen: Map<string, string>, e: Edge, where: string, p: Problems): void {
  if (e.from === e.to) return p.add(`${where}: an edge joins two different nodes (latency to itself is 0)`);
  const key = e.from < e.to ? `${e.from}-${e.to}` : `${e.to}-${e.from}`;
  const before = seen.get(key);
  if (before !== undefined) return p.add(`${where}: a second edge between nodes ${e.from} and ${e.to} (first at ${before}); give each pair once`);
  if (net.edges.length >= MAX_TOPOLOGY_EDGES) return p.add(`more than ${MAX_TOPOLOGY_EDGES} edges; use a generator (topology.generator) for networks this large`);
  seen.set(key, where);
  net.edges.push(e);
  for (const id of [e.from, e.to]) if (!net.nodes.has(id)) net.nodes.set(id, {});
}

function readCsv(text: string, nodesText: string | undefined, p: Problems, np: Problems): Network {
  const net: Network = { edges: [], nodes: new Map() };
  if (nodesText !== undefined) {
    for (const r of csvRows(nodesText, ['id', 'availability'], ['storage'], np)) {
      const id = parseId(r.get('id')!);
      if (id === undefined) np.add(`line ${r.line}: id: must be ${SCENARIO_ID_RANGE}, got "${r.get('id')}"`);
      const availability = parseAvailability(r.get('availability')!);
      if (availability === undefined) np.add(`line ${r.line}: availability: must be a percentage from 0 to 100, got "${r.get('availability')}"`);
      const rawStorage = r.get('storage');
      const storage = rawStorage === undefined || rawStorage === '' ? undefined : parseBool(rawStorage);
      if (rawStorage && storage === undefined) np.add(`line ${r.line}: storage: expected true or false, got "${rawStorage}"`);
      if (id === undefined || availability === undefined) continue;
      if (net.nodes.has(id)) np.add(`line ${r.line}: id: node ${id} is listed twice`);
      net.nodes.set(id, { availability, ...(storage !== undefined ? { storage } : {}) });
    }
  }
  const seen = new Map<string, string>();
  for (const r of csvRows(text, ['from', 'to', 'latencyMs'], [], p)) {
    const from = parseId(r.get('from')!);
    const to = parseId(r.get('to')!);
    const latencyMs = Number(r.get('latencyMs'));
    const lat = r.get('latencyMs') === '' ? 'must be a number' : latencyProblem(latencyMs);
    if (from === undefined) p.add(`line ${r.line}: from: must be ${SCENARIO_ID_RANGE}, got "${r.get('from')}"`);
    if (to === undefined) p.add(`line ${r.line}: to: must be ${SCENARIO_ID_RANGE}, got "${r.get('to')}"`);
    if (lat) p.add(`line ${r.line}: latencyMs: ${lat.replace(/, got .*$/, '')}, got "${r.get('latencyMs')}"`);
    if (from !== undefined && to !== undefined && !lat) addEdge(net, seen, { from, to, latencyMs }, `line ${r.line}`, p);
  }
  return net;
}

/** The value of a data key (given by id or attr.name) on a GraphML node or edge. */
function dataOf(el: XmlElement, keyIds: Set<string>): string | undefined {
  for (const c of el.children) if (c.name === 'data' && keyIds.has(c.attrs.key ?? '')) return c.text;
  return undefined;
}

function readGraphml(text: string, spec: FileTopologySpec, p: Problems): Network {
  const net: Network = { edges: [], nodes: new Map() };
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (e) {
    if (e instanceof XmlError) p.add(`line ${e.line}: ${e.message}`);
    else throw e;
    return net;
  }
  if (root.name !== 'graphml') {
    p.add(`line ${root.line}: the root element is <${root.name}>, expected <graphml>`);
    return net;
  }
  const keys = (forWhat: string, want: string) =>
    new Set(root.children.filter((k) => k.name === 'key' && (k.attrs.for === forWhat || k.attrs.for === 'all') && (k.attrs.id === want || k.attrs['attr.name'] === want)).map((k) => k.attrs.id ?? ''));
  const latencyKeys = keys('edge', spec.latencyKey);
  const availabilityKeys = keys('node', spec.availabilityKey);
  if (latencyKeys.size === 0) p.add(`no <key for="edge"> with id or attr.name "${spec.latencyKey}"; declare it or set topology.latencyKey`);
  const graph = root.children.find((c) => c.name === 'graph');
  if (!graph) {
    p.add(`line ${root.line}: <graphml> holds no <graph>`);
    return net;
  }
  const xmlNodes = graph.children.filter((c) => c.name === 'node');
  // ids that are all whole numbers are kept; otherwise nodes are numbered 1.. in file order, named by their id
  const numeric = xmlNodes.every((n) => parseId(n.attrs.id ?? '') !== undefined);
  const idOf = new Map<string, number>();
  xmlNodes.forEach((n, i) => {
    const raw = n.attrs.id;
    if (raw === undefined) return p.add(`line ${n.line}: <node> has no id`);
    if (idOf.has(raw)) return p.add(`line ${n.line}: node id "${raw}" given twice`);
    const id = numeric ? parseId(raw)! : i + 1;
    if (id > MAX_SCENARIO_ID) return p.add(`line ${n.line}: more than ${MAX_SCENARIO_ID} nodes`);
    idOf.set(raw, id);
    const facts: NodeFacts = numeric ? {} : { name: raw };
    const a = dataOf(n, availabilityKeys);
    if (a !== undefined) {
      const v = parseAvailability(a);
      if (v === undefined) p.add(`line ${n.line}: node "${raw}": ${spec.availabilityKey}: must be a percentage from 0 to 100, got "${a}"`);
      else facts.availability = v;
    }
    net.nodes.set(id, facts);
  });
  const seen = new Map<string, string>();
  for (const e of graph.children) {
    if (e.name !== 'edge') continue;
    const ends = (['source', 'target'] as const).map((f) => {
      const raw = e.attrs[f];
      const id = raw === undefined ? undefined : idOf.get(raw);
      if (id === undefined) p.add(`line ${e.line}: <edge> ${f}: ${raw === undefined ? 'missing' : `no node "${raw}"`}`);
      return id;
    });
    const raw = dataOf(e, latencyKeys);
    const lat = raw === undefined ? undefined : Number(raw);
    const problem = raw === undefined ? `no <data key="${spec.latencyKey}">` : raw === '' ? 'must be a number' : latencyProblem(lat);
    if (problem && latencyKeys.size) p.add(`line ${e.line}: <edge> ${spec.latencyKey}: ${problem.replace(/, got .*$/, '')}${raw !== undefined ? `, got "${raw}"` : ''}`);
    if (ends[0] !== undefined && ends[1] !== undefined && !problem) addEdge(net, seen, { from: ends[0], to: ends[1], latencyMs: lat! }, `line ${e.line}`, p);
  }
  return net;
}

/** Node ids not reachable from the first node, over the edges (at most a few, for the message). */
function unreachable(net: Network): number[] {
  const adj = new Map<number, number[]>();
  for (const e of net.edges) {
    (adj.get(e.from) ?? adj.set(e.from, []).get(e.from)!).push(e.to);
    (adj.get(e.to) ?? adj.set(e.to, []).get(e.to)!).push(e.from);
  }
  const first = net.nodes.keys().next().value as number;
  const seen = new Set([first]);
  const stack = [first];
  while (stack.length) for (const m of adj.get(stack.pop()!) ?? []) if (!seen.has(m)) (seen.add(m), stack.push(m));
  return [...net.nodes.keys()].filter((id) => !seen.has(id));
}

export function importTopology(spec: FileTopologySpec, seed: number, baseDir: string, errors: string[]): GeneratedTopology | undefined {
  checkAvailability(spec.availability, 'topology.availability', errors);
  const file = resolve(baseDir, spec.file);
  const p = new Problems(`topology.file: ${spec.file}`);
  const np = new Problems(`topology.nodesFile: ${spec.nodesFile ?? ''}`);
  const text = readText(file, p);
  const graphml = ['.graphml', '.xml'].includes(extname(file).toLowerCase());
  if (graphml && spec.nodesFile !== undefined) np.add('only with a CSV network (a GraphML file holds its nodes)');
  const nodesText = spec.nodesFile !== undefined && !graphml ? readText(resolve(baseDir, spec.nodesFile), np) : undefined;
  let net: Network | undefined;
  if (text !== undefined) net = graphml ? readGraphml(text, spec, p) : readCsv(text, nodesText, p, np);
  errors.push(...p.list, ...np.list);
  if (!net || p.list.length || np.list.length || errors.length) return undefined;
  if (net.nodes.size < 2) {
    errors.push(`topology.file: ${spec.file}: ${net.nodes.size} node(s); a network needs at least 2`);
    return undefined;
  }
  const cut = unreachable(net);
  if (cut.length) {
    errors.push(`topology.file: ${spec.file}: the network is not connected: node(s) ${cut.slice(0, 10).join(', ')}${cut.length > 10 ? ` and ${cut.length - 10} more` : ''} cannot reach node ${net.nodes.keys().next().value}; add edges`);
    return undefined;
  }
  const availabilityRng = streamRng(seed, STREAM.availability);
  const drawn = drawStorage(net.nodes.size, spec.storage, streamRng(seed, STREAM.storage));
  const nodes: GeneratedNode[] = [];
  let k = 0;
  for (const [id, f] of net.nodes) {
    const availability = f.availability ?? drawAvailability(spec.availability, availabilityRng);
    nodes.push({ id, name: f.name ?? `node${id}`, availability, storage: f.storage ?? drawn[k]! });
    k++;
  }
  return { nodes, links: net.edges, topology: { generator: 'file', file, latency: { kind: 'shortest-path' } }, datasetNode: nodes.find((n) => n.storage)?.id };
}

// ---- shortest paths over the links, one source at a time ---------------------------------------

interface Graph {
  index: Map<number, number>;
  offsets: Int32Array;
  targets: Int32Array;
  weights: Float64Array;
  /** source index -> distances to every index (a bounded cache: each is O(nodes)) */
  dist: Map<number, Float64Array>;
}
const graphs = new WeakMap<readonly Edge[], Graph>();
const MAX_CACHED_SOURCES = 256;

function graphOf(links: readonly Edge[]): Graph {
  let g = graphs.get(links);
  if (g) return g;
  const index = new Map<number, number>();
  for (const l of links) for (const id of [l.from, l.to]) if (!index.has(id)) index.set(id, index.size);
  const n = index.size;
  const offsets = new Int32Array(n + 1);
  for (const l of links) (offsets[index.get(l.from)! + 1]!++, offsets[index.get(l.to)! + 1]!++);
  for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
  const fill = offsets.slice(0, n);
  const targets = new Int32Array(2 * links.length);
  const weights = new Float64Array(2 * links.length);
  for (const l of links) {
    const a = index.get(l.from)!;
    const b = index.get(l.to)!;
    targets[fill[a]!] = b;
    weights[fill[a]!++] = l.latencyMs;
    targets[fill[b]!] = a;
    weights[fill[b]!++] = l.latencyMs;
  }
  g = { index, offsets, targets, weights, dist: new Map() };
  graphs.set(links, g);
  return g;
}

/** Dijkstra from one node with a binary heap of (distance, index). */
function distancesFrom(g: Graph, src: number): Float64Array {
  const n = g.index.size;
  const dist = new Float64Array(n).fill(Infinity);
  const heapD: number[] = [];
  const heapI: number[] = [];
  const push = (d: number, i: number) => {
    let k = heapD.length;
    heapD.push(d);
    heapI.push(i);
    while (k > 0) {
      const up = (k - 1) >> 1;
      if (heapD[up]! <= d) break;
      heapD[k] = heapD[up]!;
      heapI[k] = heapI[up]!;
      k = up;
    }
    heapD[k] = d;
    heapI[k] = i;
  };
  const pop = (): [number, number] => {
    const top: [number, number] = [heapD[0]!, heapI[0]!];
    const d = heapD.pop()!;
    const i = heapI.pop()!;
    if (heapD.length) {
      let k = 0;
      for (;;) {
        let c = 2 * k + 1;
        if (c >= heapD.length) break;
        if (c + 1 < heapD.length && heapD[c + 1]! < heapD[c]!) c++;
        if (heapD[c]! >= d) break;
        heapD[k] = heapD[c]!;
        heapI[k] = heapI[c]!;
        k = c;
      }
      heapD[k] = d;
      heapI[k] = i;
    }
    return top;
  };
  dist[src] = 0;
  push(0, src);
  while (heapD.length) {
    const [d, u] = pop();
    if (d > dist[u]!) continue;
    for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) {
      const v = g.targets[e]!;
      const nd = d + g.weights[e]!;
      if (nd < dist[v]!) {
        dist[v] = nd;
        push(nd, v);
      }
    }
  }
  return dist;
}

/** The latency of the shortest path between a and b over `links`; 0 when either is not on them. */
export function shortestPathLatency(links: readonly Edge[], a: number, b: number): number {
  const g = graphOf(links);
  const ia = g.index.get(a);
  const ib = g.index.get(b);
  if (ia === undefined || ib === undefined) return 0;
  let d = g.dist.get(ia);
  if (!d) {
    if (g.dist.size >= MAX_CACHED_SOURCES) g.dist.clear();
    d = distancesFrom(g, ia);
    g.dist.set(ia, d);
  }
  const v = d[ib]!;
  return Number.isFinite(v) ? Math.round(v * 10) / 10 : 0;
}
