import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isStrategyPath } from '../decision/strategies/spec.js';
import { UserError } from './errors.js';
import { parseScenario, readScenarioYaml, type Scenario } from './scenario.js';
import { readYaml } from './yaml.js';

/*
 * Overrides of scenario fields, `path=value` (`fogsim run --set`, the cells of `fogsim sweep
 * --grid`): applied to the raw YAML object before validation, so a bad value or a path the schema
 * does not know is reported by the scenario's own validation with its path
 * (`decision.epsilon: must be <= 1`, `decision: unknown field(s) "epsilonn"`). A path is dotted,
 * with list items as `[i]` or `.i`: `decision.epsilon`, `apps[0].goal.all[1].max`, `links.2.latencyMs`.
 * The value is read as YAML: `0.3` is a number, `true` a boolean, `{metric: latency, max: 300}` a map.
 */

export interface ScenarioSet {
  /** as given, `decision.epsilon=0.1` */
  text: string;
  path: (string | number)[];
  value: unknown;
  /** the flag that gave it, for messages (default --set) */
  flag?: string;
}

/** `decision.epsilon` or `apps[0].goal` as segments; throws a UserError naming the flag. */
export function parseSetPath(path: string, flag = '--set'): (string | number)[] {
  const segs: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/gy;
  let i = 0;
  const bad = (why: string) => new UserError(`${flag} ${path}: ${why}; a path is dotted, with list items as [i] (decision.epsilon, apps[0].goal.all[1].max)`);
  if (!path) throw bad('empty path');
  while (i < path.length) {
    if (path[i] === '.' && segs.length) i++;
    re.lastIndex = i;
    const m = re.exec(path);
    if (!m) throw bad(`unexpected "${path[i]}" at character ${i + 1}`);
    if (m[2] !== undefined) segs.push(Number(m[2]));
    else segs.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    i = re.lastIndex;
  }
  if (typeof segs[0] === 'number') throw bad('a path starts with a field name');
  return segs;
}

/** `path=value` as a set; throws a UserError naming the flag. */
export function parseSet(text: string, flag = '--set'): ScenarioSet {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`${flag} ${text}: expected path=value, e.g. decision.epsilon=0.1`);
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = raw === '' ? '' : readYaml(raw);
  } catch (e) {
    throw new UserError(`${flag} ${text}: the value is not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  return { text, path: parseSetPath(text.slice(0, eq), flag), value, flag };
}

function showPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');
}

/**
 * A copy of the raw scenario object with each set applied in order. Missing maps on the way are
 * created (the schema then judges the field); an index past a list's end, or a path through a
 * value that is not a map or a list, is an error naming the path.
 */
export function applySets(raw: unknown, sets: readonly ScenarioSet[]): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError('the scenario is not a map of fields; cannot apply --set');
  const root = structuredClone(raw) as Record<string, unknown>;
  for (const s of sets) {
    const flag = s.flag ?? '--set';
    let at: unknown = root;
    for (let k = 0; k < s.path.length; k++) {
      const seg = s.path[k];
      const last = k === s.path.length - 1;
      const here = showPath(s.path.slice(0, k)) || '(root)';
      if (Array.isArray(at)) {
        if (typeof seg !== 'number') throw new UserError(`${flag} ${s.text}: ${here} is a list; name an item as ${here}[i]`);
        if (seg > at.length || (seg === at.length && !last)) throw new UserError(`${flag} ${s.text}: ${showPath(s.path.slice(0, k + 1))}: no such item (${here} has ${at.length})`);
        if (last) at[seg] = s.value;
        else at = at[seg];
      } else if (at !== null && typeof at === 'object') {
        if (typeof seg === 'number') throw new UserError(`${flag} ${s.text}: ${here} is a map, not a list; name a field`);
        const obj = at as Record<string, unknown>;
        if (last) obj[seg] = s.value;
        else {
          if (obj[seg] === undefined || obj[seg] === null) obj[seg] = typeof s.path[k + 1] === 'number' ? [] : {};
          at = obj[seg];
        }
      } else {
        throw new UserError(`${flag} ${s.text}: ${here} is ${JSON.stringify(at)}, not a map or a list`);
      }
    }
  }
  return root;
}

/** The raw object of a scenario file (YAML syntax errors name the line). */
export function readRawScenario(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read scenario ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check the path`);
  }
  return readScenarioYaml(text, file);
}

/**
 * A scenario file with sets applied, validated: the scenario, and the raw object to write for the
 * node processes. Errors name the sets: `invalid scenario S with --set decision.epsilon=2: ...`.
 * Paths in the scenario stay relative to the file (strategy modules, the trace).
 */
export function loadScenarioWithSets(file: string, sets: readonly ScenarioSet[]): { scenario: Scenario; raw: Record<string, unknown> } {
  const raw = applySets(readRawScenario(file), sets);
  try {
    return { scenario: parseScenario(raw, file), raw };
  } catch (e) {
    if (!sets.length || !(e instanceof UserError) || !e.message.startsWith(`invalid scenario ${file}:`)) throw e;
    const what = sets.map((s) => `${s.flag ?? '--set'} ${s.text}`).join(' ');
    throw new UserError(e.message.replace(`invalid scenario ${file}:`, `invalid scenario ${file} with ${what}:`), e.details);
  }
}

/**
 * The raw scenario with the paths it holds relative to its file (strategy modules, the trace, the data set file)
 * made absolute, so that a copy written elsewhere names the same files.
 */
export function absolutePaths(raw: Record<string, unknown>, file: string): Record<string, unknown> {
  const dir = dirname(resolve(file));
  const abs = (p: unknown, isPath: (s: string) => boolean) => (typeof p === 'string' && isPath(p) && !isAbsolute(p) ? resolve(dir, p) : p);
  const out = structuredClone(raw);
  if ('strategy' in out) out.strategy = abs(out.strategy, isStrategyPath);
  if ('trace' in out) out.trace = abs(out.trace, () => true);
  if (out.dataset && typeof out.dataset === 'object' && 'file' in out.dataset) (out.dataset as Record<string, unknown>).file = abs((out.dataset as Record<string, unknown>).file, () => true);
  const topo = out.topology;
  if (topo && typeof topo === 'object' && !Array.isArray(topo)) for (const k of ['file', 'nodesFile']) if (k in topo) (topo as Record<string, unknown>)[k] = abs((topo as Record<string, unknown>)[k], () => true);
  if (Array.isArray(out.apps)) for (const a of out.apps) if (a && typeof a === 'object' && 'strategy' in a) (a as Record<string, unknown>).strategy = abs((a as Record<string, unknown>).strategy, isStrategyPath);
  return out;
}
