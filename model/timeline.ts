import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.js';
import { latencyProblem, MAX_LATENCY_MS, showValue } from './limits.js';
import { describeIssue, linkLatency, parseGoal, type Scenario } from './scenario.js';
import { timedStepSchema, type RawStep, type Step, type TimedStep } from './steps.js';
import type { Goal } from './types.js';
import { appSeed, createRng } from '../util/rng.js';

/*
 * The timeline of a run (docs/scenario.md: `timeline`, `trace`, `dynamics`): the steps the scenario
 * lists, the rows of its trace file and the seeded random dynamics, checked against the nodes and
 * apps that exist at each step's time (a node added by an earlier step counts), merged in time
 * order. The schemas are in model/steps.ts; controller/experiment/timeline.ts applies the steps.
 *
 * Nothing here runs at module load but function definitions: model/scenario.ts imports this file
 * and this file imports it back.
 */

/** The nodes and apps that exist at some moment of the run. */
export interface World {
  nodes: Set<number>;
  apps: Set<number>;
  /** what an earlier step deleted (`node 2`, `app 3`), with that step's path, for the message */
  removed?: Map<string, string>;
}

function forget(world: World, what: 'node' | 'app', id: number, path: string): void {
  (what === 'node' ? world.nodes : world.apps).delete(id);
  (world.removed ??= new Map()).set(`${what} ${id}`, path.replace(/\.do$/, ''));
}

export interface RawTimedStep {
  at: number;
  do: RawStep;
  origin: string;
}

const list = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b).join(', ') || '(none)';

/**
 * Checks one step against `world` (what exists when it runs), pushing `path`-prefixed problems;
 * returns the step with its goal typed, and applies it to `world` (an added node exists from then
 * on). `later`: node ids added by later steps, with the step that adds them, for the message.
 */
export function checkStep(raw: RawStep, world: World, path: string, errors: string[], later: Map<number, string> = new Map()): Step | undefined {
  const before = errors.length;
  const node = (field: string, id: number) => {
    if (world.nodes.has(id)) return;
    const when = later.get(id);
    const gone = world.removed?.get(`node ${id}`);
    errors.push(`${path}.${field}: node ${id} does not exist${when ? ` yet (${when} adds it)` : gone ? ` any more (${gone} deletes it)` : ''}; known nodes: ${list(world.nodes)}`);
  };
  const app = (id: number) => {
    if (!world.apps.has(id)) errors.push(`${path}.app: app ${id} does not exist${world.removed?.has(`app ${id}`) ? ` any more (${world.removed.get(`app ${id}`)} deletes it)` : ''}; known apps: ${list(world.apps)}`);
  };
  const link = (from: number, to: number) => {
    node('from', from);
    node('to', to);
    if (from === to) errors.push(`${path}.to: a link joins two different nodes (latency to itself is 0), got ${from} and ${to}`);
  };
  let goal: Goal | undefined;
  switch (raw.kind) {
    case 'setLatency':
    case 'setBandwidth':
      link(raw.from, raw.to);
      break;
    case 'setAvailability':
    case 'nodeDown':
    case 'nodeUp':
      node('node', raw.node);
      break;
    case 'setGoal':
      app(raw.app);
      goal = parseGoal(raw.goal, `${path}.goal`, errors);
      break;
    case 'deleteApp':
      app(raw.app);
      break;
    case 'deleteNode':
      node('node', raw.node);
      break;
    case 'addNode': {
      if (world.nodes.has(raw.id)) errors.push(`${path}.id: node ${raw.id} already exists; pick an unused id (existing: ${list(world.nodes)})`);
      const peers = new Set([...world.nodes].map(String));
      for (const [peer, ms] of Object.entries(raw.latency)) {
        if (peer === String(raw.id)) errors.push(`${path}.latency.${peer}: the new node itself; its latency to itself is always 0, leave it out`);
        else if (!peers.has(peer)) errors.push(`${path}.latency.${peer}: node ${peer} does not exist; known nodes: ${list(world.nodes)}`);
        else {
          const problem = latencyProblem(ms);
          if (problem) errors.push(`${path}.latency.${peer}: ${problem}`);
        }
      }
      const missing = [...world.nodes].filter((id) => id !== raw.id && !(String(id) in raw.latency)).sort((a, b) => a - b);
      if (missing.length) errors.push(`${path}.latency: missing latency to node(s) ${missing.join(', ')}; the new node needs one to every node that exists then, e.g. {${missing.map((m) => `${m}: 1000`).join(', ')}}`);
      if (raw.goal !== undefined) {
        if (world.apps.has(raw.id)) errors.push(`${path}.goal: app ${raw.id} already exists (the new node's app takes the node's id); known apps: ${list(world.apps)}`);
        goal = parseGoal(raw.goal, `${path}.goal`, errors);
      }
      break;
    }
  }
  // an added node exists from here on even when its step has problems: later steps naming it are not wrong too
  if (raw.kind === 'addNode') {
    world.nodes.add(raw.id);
    if (raw.goal !== undefined) world.apps.add(raw.id);
  }
  if (errors.length > before) return undefined;
  // a deleted node or app is gone for the steps after; the apps on a deleted node go with it, but
  // `world` does not know where apps are, so a later step naming one of them fails when applied
  if (raw.kind === 'deleteApp') forget(world, 'app', raw.app, path);
  if (raw.kind === 'deleteNode') forget(world, 'node', raw.node, path);
  if (raw.kind === 'addNode') {
    const { goal: _g, ...rest } = raw;
    return goal ? { ...rest, goal } : rest;
  }
  if (raw.kind === 'setGoal') return { ...raw, goal: goal! };
  return raw as Step;
}

/** Sorts by time; steps at the same time keep their order (the scenario's timeline, then its trace). */
export function byTime<T extends { at: number }>(steps: readonly T[]): T[] {
  return steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.at - b.s.at || a.i - b.i)
    .map((x) => x.s);
}

/** Checks every step in time order against the world as the earlier steps leave it. */
export function checkTimeline(steps: readonly RawTimedStep[], initial: World, errors: string[]): TimedStep[] {
  const world: World = { nodes: new Set(initial.nodes), apps: new Set(initial.apps), removed: new Map(initial.removed) };
  const sorted = byTime(steps);
  const out: TimedStep[] = [];
  sorted.forEach((t, i) => {
    const later = new Map<number, string>();
    for (const u of sorted.slice(i + 1)) if (u.do.kind === 'addNode' && !later.has(u.do.id)) later.set(u.do.id, `${u.origin} at ${u.at} s`);
    const step = checkStep(t.do, world, `${t.origin}.do`, errors, later);
    if (step) out.push({ at: t.at, do: step, origin: t.origin });
  });
  return out;
}

// ---- trace files ----------------------------------------------------------------------------

/** Splits one CSV line into cells (RFC 4180 quotes: "a ""b"", c" is one cell). */
export function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') cells.push(cur), (cur = '');
    else cur += c;
  }
  cells.push(cur);
  return cells.map((s) => s.trim());
}

/** Splits `a=1;b={"x":1}` at the semicolons outside braces, brackets and quotes. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') (cur += c + (text[i + 1] ?? '')), i++;
      else (cur += c), (quoted = c !== '"');
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ';' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
}

/** A value of the args column: JSON when it reads as JSON (numbers, booleans, goals), else the text. */
function argValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The args column `key=value;key=value` as an object; a dotted key nests (`latency.1=800`).
 * Returns the problem when a part has no `=`.
 */
export function parseArgs(text: string): { args: Record<string, unknown> } | { problem: string } {
  const args: Record<string, unknown> = {};
  for (const part of splitArgs(text)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { problem: `cannot read ${JSON.stringify(part)}; expected key=value pairs separated by ";", e.g. node=2;availability=60` };
    const keys = part.slice(0, eq).trim().split('.');
    let into = args;
    for (const k of keys.slice(0, -1)) {
      if (typeof into[k] !== 'object' || into[k] === null) into[k] = {};
      into = into[k] as Record<string, unknown>;
    }
    into[keys[keys.length - 1]] = argValue(part.slice(eq + 1).trim());
  }
  return { args };
}

/**
 * The steps of a trace file (CSV with the columns at, kind, args; a header line, blank lines and
 * lines starting with # are skipped), each checked against the step schema; problems are named
 * `trace[line N]...`. The nodes they name are checked later, with the scenario's timeline.
 */
export function parseTrace(text: string, errors: string[]): RawTimedStep[] {
  const out: RawTimedStep[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const origin = `trace[line ${i + 1}]`;
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const cells = csvCells(line);
    if (i === 0 && cells[0].toLowerCase() === 'at') return; // the header
    if (cells.length < 2 || cells.length > 3) {
      errors.push(`${origin}: expected 3 columns (at, kind, args), got ${cells.length}; quote an args cell that holds commas`);
      return;
    }
    const [atText, kind, argsText = ''] = cells;
    const at = atText === '' ? undefined : Number(atText);
    const parsed = parseArgs(argsText);
    if ('problem' in parsed) {
      errors.push(`${origin}.args: ${parsed.problem}`);
      return;
    }
    if ('kind' in parsed.args) {
      errors.push(`${origin}.args: "kind" is the second column, not an argument`);
      return;
    }
    const r = timedStepSchema.safeParse({ at: Number.isNaN(at) ? atText : at, do: { kind, ...parsed.args } }, { reportInput: true });
    if (!r.success) {
      for (const issue of r.error.issues) errors.push(describeIssue({ ...issue, path: [origin, ...issue.path] }));
      return;
    }
    out.push({ at: r.data.at, do: r.data.do as RawStep, origin });
  });
  return out;
}

/** Reads the scenario's trace file, relative to the scenario file (or the working folder). */
/** A path a scenario names, relative to the scenario's file (to the working folder when it has none). */
export function fromScenario(source: string | undefined, path: string): string {
  return resolve(source ? dirname(source) : process.cwd(), path);
}

export function readTrace(trace: string, source: string | undefined, errors: string[]): RawTimedStep[] {
  const file = fromScenario(source, trace);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    errors.push(`trace: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; the path is relative to the scenario file`);
    return [];
  }
  return parseTrace(text, errors);
}

// ---- seeded random dynamics ----------------------------------------------------------------

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The scenario's dynamics as steps up to `horizonS` (or dynamics.horizonS when shorter), drawn
 * from dynamics.seed (default the scenario's seed): one seed, the same steps. Each link walks on
 * its own generator and each node fails on its own, so adding a link or a node to the lists
 * changes nothing of the others' draws.
 */
export function expandDynamics(s: Pick<Scenario, 'dynamics' | 'seed' | 'links' | 'nodes' | 'topology'>, horizonS: number): TimedStep[] {
  const d = s.dynamics;
  if (!d) return [];
  const horizon = Math.min(horizonS, d.horizonS);
  const seed = d.seed ?? s.seed;
  const out: TimedStep[] = [];
  if (d.latencyWalk) {
    const w = d.latencyWalk;
    // a topology's pairs are implicit: its walk lists its links (checkDynamics)
    const links = w.links ?? s.links.map((l) => ({ from: l.from, to: l.to }));
    links.forEach((l, i) => {
      const rng = createRng(appSeed(seed ^ 0x77616c6b, i + 1));
      const start = linkLatency(s, l.from, l.to);
      let v = start;
      for (let k = 1; k * w.stepS < horizon; k++) {
        v = Math.min(MAX_LATENCY_MS, Math.max(0, v + rng.normal(0, w.sdMs)));
        out.push({ at: round3(k * w.stepS), do: { kind: 'setLatency', from: l.from, to: l.to, latencyMs: Math.round(v) }, origin: 'dynamics.latencyWalk' });
      }
    });
  }
  if (d.outages) {
    const o = d.outages;
    const nodes = o.nodes ?? s.nodes.map((n) => n.id);
    nodes.forEach((node, i) => {
      const rng = createRng(appSeed(seed ^ 0x6f757467, i + 1));
      const exp = (mean: number) => -mean * Math.log(1 - rng.next());
      for (let t = 0; ; ) {
        t += exp(o.mtbfS);
        if (t >= horizon) break;
        out.push({ at: round3(t), do: { kind: 'nodeDown', node }, origin: 'dynamics.outages' });
        t += exp(o.mttrS);
        if (t >= horizon) break;
        out.push({ at: round3(t), do: { kind: 'nodeUp', node }, origin: 'dynamics.outages' });
      }
    });
  }
  return out;
}

/** Checks the dynamics' lists against the scenario's nodes and links. */
export function checkDynamics(s: { dynamics?: Scenario['dynamics']; links: Scenario['links']; nodes: readonly { id: number }[]; topology?: Scenario['topology'] }, errors: string[]): void {
  const d = s.dynamics;
  if (!d) return;
  const ids = new Set(s.nodes.map((n) => n.id));
  if (s.topology && d.latencyWalk && !d.latencyWalk.links) {
    const n = s.nodes.length;
    errors.push(`dynamics.latencyWalk.links: required with a topology (its ${(n * (n - 1)) / 2} links are implicit); list the links that walk`);
  }
  d.latencyWalk?.links?.forEach((l, i) => {
    const path = `dynamics.latencyWalk.links[${i}]`;
    for (const f of ['from', 'to'] as const) if (!ids.has(l[f])) errors.push(`${path}.${f}: node ${l[f]} does not exist; known nodes: ${list(ids)}`);
    if (!s.topology && ids.has(l.from) && ids.has(l.to) && !s.links.some((x) => (x.from === l.from && x.to === l.to) || (x.from === l.to && x.to === l.from))) {
      errors.push(`${path}: no link between nodes ${l.from} and ${l.to} in links`);
    }
  });
  d.outages?.nodes?.forEach((n, i) => {
    if (!ids.has(n)) errors.push(`dynamics.outages.nodes[${i}]: node ${n} does not exist; known nodes: ${list(ids)}`);
  });
}

/**
 * Every step of a run of `horizonS` seconds in time order: the scenario's timeline and trace
 * (scenario.timeline, checked at load) and its dynamics drawn up to the horizon.
 */
export function expandTimeline(s: Pick<Scenario, 'timeline' | 'dynamics' | 'seed' | 'links' | 'nodes' | 'topology'>, horizonS: number): TimedStep[] {
  return byTime([...s.timeline, ...expandDynamics(s, horizonS)]);
}

/**
 * The checks that need the run's duration (fogsim run --duration): a step at or past the end would
 * never be applied. Throws a UserError naming the path of every such step.
 */
export function validateTimeline(s: Pick<Scenario, 'timeline' | 'source'>, durationS: number): void {
  const problems = s.timeline
    .filter((t) => t.at >= durationS)
    .map((t) => `${t.origin}.at: ${showValue(t.at)} s is past the duration of the run (${durationS} s); move the step before ${durationS} s or run longer (--duration)`);
  if (problems.length) {
    throw new UserError(`invalid timeline${s.source ? ` in ${s.source}` : ''} for a run of ${durationS} s: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`, problems);
  }
}
