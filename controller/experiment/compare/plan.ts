import { createHash } from 'node:crypto';
import { readYaml } from '../../../model/yaml.js';
import { UserError } from '../../../model/errors.js';
import { parseSet, parseSetPath, type ScenarioSet } from '../../../model/scenario-set.js';
import { ENGINES, type Engine } from '../report.js';

/*
 * What `fogsim compare` and `fogsim sweep` run: cells (a strategy each, or a point of the grid's
 * full cartesian product, times each engine), each over every seed. Pure: parsing the flags and
 * naming the cells.
 */

export interface Cell {
  /** unique: the base, and `@sim` / `@emu` unless the comparison is of emulation alone */
  name: string;
  /** as results.csv names it: `original`, or `decision.epsilon=0.1,timing.feedbackWindowMs=10000` */
  base: string;
  /** what runs it: a `fogsim run` child (emu) or the virtual-time engine in a worker thread (sim) */
  engine: Engine;
  /** its folder under DIR/cells/ (the name with odd characters replaced; unique) */
  dir: string;
  /** compare: the strategy of every app (fogsim run --strategy) */
  strategy?: string;
  /** sweep: the scenario overrides of this point (fogsim run --set) */
  sets: ScenarioSet[];
  /** sweep: the point's value per grid path, as given */
  params: Record<string, string>;
}

export interface GridAxis {
  path: string;
  /** each value as given (its text goes into the cell name and to --set) */
  values: string[];
}

/** `1..10`, `1,2,5`, `1..3,7`: whole numbers, in order, without repeats. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(-?\d+)\.\.(-?\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a) throw new UserError(`--seeds ${text}: the range ${part} runs backwards; write ${b}..${a}`);
      if (b - a >= 10_000) throw new UserError(`--seeds ${text}: the range ${part} has more than 10000 seeds`);
      for (let s = a; s <= b; s++) out.push(s);
    } else if (/^-?\d+$/.test(part)) out.push(Number(part));
    else throw new UserError(`--seeds ${text}: expected whole numbers and ranges such as 1..10 or 1,2,5, got "${part}"`);
  }
  for (const s of out) if (!Number.isSafeInteger(s) || Math.abs(s) > 2_147_483_647) throw new UserError(`--seeds ${text}: ${s} is out of range`);
  return [...new Set(out)];
}

/** `sim,emu`: engines, without repeats; a name that is not one is an error naming the flag. */
export function parseEngines(text: string, flag: string): Engine[] {
  const names = parseList(text, flag);
  for (const n of names) if (!(ENGINES as readonly string[]).includes(n)) throw new UserError(`${flag} ${text}: "${n}" is not an engine; expected ${ENGINES.join(' or ')} (emu: emulation on real parts, sim: the virtual-time engine)`);
  return names as Engine[];
}

/** `a,b,c` as a list of names, without repeats or empty names. */
export function parseList(text: string, flag: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => !s)) throw new UserError(`${flag} ${text}: an empty name; separate names with commas, e.g. original,random`);
  const dup = items.find((s, i) => items.indexOf(s) !== i);
  if (dup) throw new UserError(`${flag} ${text}: "${dup}" is named twice`);
  return items;
}

/** A value's text for a cell name and --set: scalars as YAML reads them back, maps and lists as JSON. */
function valueText(v: unknown): string {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * `decision.epsilon=0,0.1,0.3`: a path and its values, read as a YAML flow list, so a value may
 * be a map (`apps[0].goal={metric: latency, max: 300},{metric: latency, max: 200}`).
 */
export function parseGridAxis(text: string): GridAxis {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--grid ${text}: expected path=value,value,..., e.g. decision.epsilon=0,0.1,0.3`);
  const path = text.slice(0, eq).trim();
  parseSetPath(path, '--grid');
  let values: unknown;
  try {
    values = readYaml(`[${text.slice(eq + 1)}]`);
  } catch (e) {
    throw new UserError(`--grid ${text}: the values are not a valid list (${(e as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => v === null)) throw new UserError(`--grid ${text}: expected one or more values separated by commas`);
  const texts = values.map(valueText);
  const dup = texts.find((s, i) => texts.indexOf(s) !== i);
  if (dup !== undefined) throw new UserError(`--grid ${text}: the value ${dup} is given twice`);
  return { path, values: texts };
}

/** Folder names for cell names: safe characters, unique, not too long. */
function cellDirs(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    let dir = name.replace(/[^A-Za-z0-9._=,+-]/g, '_').replace(/^\.+/, '_');
    if (dir.length > 100 || used.has(dir) || !dir) dir = `${dir.slice(0, 80)}-${createHash('sha256').update(name).digest('hex').slice(0, 10)}`;
    used.add(dir);
    return dir;
  });
}

type BaseCell = Omit<Cell, 'name' | 'dir' | 'engine'>;

/** Each cell once per engine (a cell's engines side by side), named and given its folder. */
function withEngines(cells: readonly BaseCell[], engines: readonly Engine[]): Cell[] {
  if (!engines.length) throw new Error('no engine');
  const emuAlone = engines.length === 1 && engines[0] === 'emu';
  const out = cells.flatMap((c) => engines.map((engine) => ({ ...c, engine, name: emuAlone ? c.base : `${c.base}@${engine}` })));
  const dirs = cellDirs(out.map((c) => c.name));
  return out.map((c, i) => ({ ...c, dir: dirs[i] }));
}

/**
 * One cell per strategy and engine. With `scenarios` the names are labels of the scenario's own
 * strategies (no --strategy is passed to the runs).
 */
export function strategyCells(strategies: readonly string[], engines: readonly Engine[] = ['emu'], scenarios = false): Cell[] {
  return withEngines(
    strategies.map((s) => ({ base: s, strategy: scenarios ? undefined : s, sets: [], params: {} })),
    engines,
  );
}

/** The full cartesian product of the axes, the first axis varying slowest; a path may appear once. */
export function gridCells(axes: readonly GridAxis[], engine: Engine = 'emu'): Cell[] {
  if (!axes.length) throw new UserError('fogsim sweep needs at least one --grid path=value,value,...');
  const seen = new Map<string, number>();
  axes.forEach((a, i) => {
    const key = parseSetPath(a.path, '--grid').join('.');
    if (seen.has(key)) throw new UserError(`--grid ${a.path}: the path is given twice; put all its values in one --grid`);
    seen.set(key, i);
  });
  let points: [string, string][][] = [[]];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => [...p, [a.path, v] as [string, string]]));
  return withEngines(
    points.map((p) => ({ base: p.map(([k, v]) => `${k}=${v}`).join(','), sets: p.map(([k, v]) => parseSet(`${k}=${v}`, '--grid')), params: Object.fromEntries(p) })),
    [engine],
  );
}
