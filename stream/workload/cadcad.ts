/*
 * A producer's messages from a user's simulation in cadCAD's shape (issue 19 item 1; what
 * distroduce runs on cadCAD): an initial state, policies that compute signals from the state,
 * state updates that compute each state variable's next value from the state and the signals, and
 * an `emit` that turns each timestep's state into messages. `runs` Monte Carlo runs, each with its
 * own seed, step in turn; the producer runner (producer.ts) asks the source for the next n messages.
 *
 * One timestep t of one run (cadCAD's one partial state update block, one substep):
 *   1. every policy (params, t, state, rng) on the state after t-1, signals aggregated
 *      (aggregateSignals: numbers summed, arrays concatenated, otherwise the later policy wins);
 *   2. every update (params, t, state, signals) on that same state: all see the state before the
 *      step, none sees another's new value; a variable without an update keeps its value;
 *   3. emit (params, t, newState, rng): the messages of the step.
 * Everything a module gets is frozen plain data, and its randomness is only its rng, so one seed
 * repeats the messages. docs/workloads.md is the user's side of this.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { hasModuleExtension, resolveStrategyPath } from '../../decision/strategies/spec.js';
import { ValidationError } from '../../model/errors.js';
import { appSeed, createRng, type Rng } from '../../util/rng.js';
import type { StreamMessage } from '../bus.js';
import type { MessageSource } from './source.js';

export type { MessageSource } from './source.js';

export type State = Readonly<Record<string, unknown>>;
export type Params = Readonly<Record<string, unknown>>;
export type Signals = Record<string, unknown>;
/** The last argument of every function: which Monte Carlo run this is (from 0) of how many. */
export interface RunInfo {
  readonly run: number;
  readonly runs: number;
}
export type PolicyFn = (params: Params, step: number, state: State, rng: Rng, ctx: RunInfo) => Signals;
export type UpdateFn = (params: Params, step: number, state: State, signals: Readonly<Signals>, ctx: RunInfo) => unknown;
/** One message of a step: `value` is sent as is when a string or Buffer, else as its JSON. */
export interface EmittedMessage {
  key?: string | null;
  value: unknown;
}
export type EmitFn = (params: Params, step: number, state: State, rng: Rng, ctx: RunInfo) => EmittedMessage[];

/** A simulation whose shape was checked (checkCadcadModule, loadCadcadModule). */
export interface CadcadModule {
  /** the module as written (`./sensors.js`), for messages */
  name: string;
  /** the file it was loaded from (undefined for one built in code) */
  file?: string;
  initialState: State;
  policies: Readonly<Record<string, PolicyFn>>;
  updates: Readonly<Record<string, UpdateFn>>;
  emit: EmitFn;
  /** the module's default parameters; a scenario's override them key by key */
  params: Params;
  /** timesteps per run (cadCAD's T); unbounded when absent */
  timesteps?: number;
}

const DOC = 'docs/workloads.md';
const EXPORTS = ['initialState', 'policies', 'updates', 'emit', 'params', 'timesteps'] as const;
const SHAPE = '`export default { initialState: {...}, policies: { name(params, step, state, rng) { return {...signals}; } }, updates: { variable(params, step, state, signals) { return newValue; } }, emit(params, step, state, rng) { return [{ key, value }]; } }`';

/** A workload module that cannot be used: its path, its import, or the shape of its exports. */
export class CadcadModuleError extends ValidationError {
  constructor(
    message: string,
    readonly module: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'CadcadModuleError';
  }
}

/**
 * A function of a workload module failed during a timestep: it threw, or returned what it may not.
 * The source is broken from then on (every next() throws this again); the runner records it.
 */
export class CadcadStepError extends ValidationError {
  constructor(
    message: string,
    readonly module: string,
    /** `policies.temperature`, `updates.alarm`, `emit` */
    readonly fn: string,
    /** the timestep being computed, 1 for the first */
    readonly step: number,
    /** the Monte Carlo run, from 0 */
    readonly run: number,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'CadcadStepError';
  }
}

// ---------------------------------------------------------------------------------------------
// plain data

const kindOf = (v: unknown): string => {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null;
    return proto === null || proto === Object.prototype ? 'an object' : `a ${proto.constructor?.name ?? 'class instance'}`;
  }
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return `${typeof v} ${String(v)}`;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
};

const PLAIN = 'plain data (numbers, strings, booleans, null, arrays and objects)';

/** The first value in `v` that is not plain data (`initialState.readings[2] is a function`), if any. */
function dataProblem(v: unknown, path: string, seen = new Set<object>()): string | undefined {
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return undefined;
  if (!Array.isArray(v) && !isPlainObject(v)) return `${path} is ${kindOf(v)}; it must be ${PLAIN}`;
  if (seen.has(v)) return undefined;
  seen.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = dataProblem(v[i], `${path}[${i}]`, seen);
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, x] of Object.entries(v)) {
    const p = dataProblem(x, `${path}.${k}`, seen);
    if (p) return p;
  }
  return undefined;
}

/** Freezes checked plain data in place, deeply. */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** A frozen deep copy of plain data (the caller's objects stay as they are), or what is not plain data. */
function frozenCopy(v: Record<string, unknown>, path: string): { value: Record<string, unknown>; problem?: string } {
  const problem = dataProblem(v, path);
  if (problem) return { value: v, problem };
  return { value: deepFreeze(structuredClone(v)) };
}

// ---------------------------------------------------------------------------------------------
// aggregation and seeds

/**
 * cadCAD's default policy aggregation (`policy_ops=[lambda a, b: a + b]`), keyed by signal: a
 * signal from one policy is kept; from several, numbers are summed and arrays concatenated (as
 * Python's `+` does, which distroduce's message policies rely on); anything else, or values of
 * different kinds, the later policy (in the order of `policies`) wins. Strings are not
 * concatenated and booleans not summed, unlike Python: a later `alarm: true` replaces an earlier.
 */
export function aggregateSignals(all: readonly Readonly<Signals>[]): Signals {
  const out: Signals = {};
  for (const signals of all) {
    for (const [k, v] of Object.entries(signals)) {
      if (!(k in out)) out[k] = v;
      else {
        const prev = out[k];
        if (typeof prev === 'number' && typeof v === 'number') out[k] = prev + v;
        else if (Array.isArray(prev) && Array.isArray(v)) out[k] = [...prev, ...v];
        else out[k] = v;
      }
    }
  }
  return out;
}

/** The seed of Monte Carlo run `run` (from 0) of a workload seeded `seed` (kept apart from the apps' seeds). */
export function runSeed(seed: number, run: number): number {
  return appSeed((seed ^ 0x0cadcad0) >>> 0, run);
}

/** FNV-1a: each function's generator is seeded by its name, so adding a policy shifts no other's draws. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// shape

/**
 * The simulation a module's exports hold: its default export object, else its named exports.
 * Every problem is a CadcadModuleError `workload module <name>: <what>; <the fix> (docs/workloads.md)`.
 */
export function checkCadcadModule(exports: unknown, name: string, file?: string): CadcadModule {
  const label = `workload module ${file ?? name}`;
  const fail = (why: string) => new CadcadModuleError(`${label}${why.startsWith(':') ? '' : ' '}${why} (${DOC})`, name);
  const ns = (exports ?? {}) as Record<string, unknown>;
  let raw: Record<string, unknown>;
  if ('default' in ns && ns.default !== undefined) {
    if (!isPlainObject(ns.default)) {
      throw fail(`has ${kindOf(ns.default)} as its default export; export the simulation as one object: ${SHAPE}`);
    }
    raw = ns.default;
  } else if ('initialState' in ns || 'emit' in ns) {
    raw = ns;
  } else {
    const has = Object.keys(ns);
    throw fail(`exports no simulation${has.length ? ` (it exports ${has.join(', ')})` : ''}; add ${SHAPE}`);
  }
  const where = raw === ns.default ? 'its default export' : 'it';
  const unknown = Object.keys(raw).filter((k) => !(EXPORTS as readonly string[]).includes(k));
  if (unknown.length) {
    throw fail(`: ${where} has ${unknown.map((k) => JSON.stringify(k)).join(', ')}, which a simulation does not take; the keys are ${EXPORTS.join(', ')}`);
  }

  if (raw.initialState === undefined) throw fail(`has no initialState; add the state variables and their values at timestep 0, e.g. \`initialState: { temperature: 20, alarm: false }\``);
  if (!isPlainObject(raw.initialState)) throw fail(`has ${kindOf(raw.initialState)} as initialState; it must be an object of state variables, e.g. \`initialState: { temperature: 20 }\``);
  const initial = frozenCopy(raw.initialState, 'initialState');
  if (initial.problem) throw fail(`: ${initial.problem}`);
  const variables = Object.keys(initial.value);

  const fns = <F>(key: 'policies' | 'updates', example: string): Record<string, F> => {
    const v = raw[key];
    if (v === undefined) return {};
    if (!isPlainObject(v)) throw fail(`has ${kindOf(v)} as ${key}; it must be an object of functions, e.g. \`${key}: { ${example} }\``);
    for (const [k, f] of Object.entries(v)) {
      if (typeof f !== 'function') throw fail(`has ${kindOf(f)} as ${key}.${k}, not a function; write \`${key}: { ${k}${example.slice(example.indexOf('('))} }\``);
    }
    return { ...(v as Record<string, F>) };
  };
  const policies = fns<PolicyFn>('policies', 'heat(params, step, state, rng) { return { delta: rng.normal(0, 1) }; }');
  const updates = fns<UpdateFn>('updates', 'temperature(params, step, state, signals) { return state.temperature + signals.delta; }');
  for (const k of Object.keys(updates)) {
    if (!variables.includes(k)) {
      throw fail(`has updates.${k}, but initialState has no ${k} (it has ${variables.join(', ') || 'no variables'}); name each update after the state variable it computes, and give that variable its value at timestep 0 in initialState`);
    }
  }

  if (raw.emit === undefined) throw fail(`has no emit; add \`emit(params, step, state, rng) { return [{ key: 'sensor-1', value: state }]; }\`, which returns the messages of each timestep`);
  if (typeof raw.emit !== 'function') throw fail(`has ${kindOf(raw.emit)} as emit, not a function; write \`emit(params, step, state, rng) { return [{ key, value }]; }\``);

  let params: Record<string, unknown> = {};
  if (raw.params !== undefined) {
    if (!isPlainObject(raw.params)) throw fail(`has ${kindOf(raw.params)} as params; it must be an object of parameters, e.g. \`params: { sensors: 10 }\``);
    const p = frozenCopy(raw.params, 'params');
    if (p.problem) throw fail(`: ${p.problem}`);
    params = p.value;
  }
  let timesteps: number | undefined;
  if (raw.timesteps !== undefined) {
    if (typeof raw.timesteps !== 'number' || !Number.isInteger(raw.timesteps) || raw.timesteps < 1) {
      throw fail(`has ${kindOf(raw.timesteps)} as timesteps; it must be a whole number >= 1 (timesteps per run), or left out for no end`);
    }
    timesteps = raw.timesteps;
  }
  return { name, file, initialState: initial.value, policies, updates, emit: raw.emit as EmitFn, params, timesteps };
}

export interface LoadCadcadOptions {
  /** where the path was written, first in messages: `workloads[0].module` */
  field?: string;
  /**
   * Parameters of a trial timestep run at load time (with the module's own under them), so a
   * module whose functions fail, or whose emit returns no array, is an error before anything
   * starts; false: no trial.
   */
  trial?: { params?: Record<string, unknown> } | false;
}

/**
 * The workload module at `spec` (a .js or .mjs path, relative to `baseDir`: the scenario file's
 * folder), its shape checked and, unless `trial: false`, one trial timestep run. Every problem is
 * a CadcadModuleError naming the field, the module and the fix.
 */
export async function loadCadcadModule(spec: string, baseDir: string, opts: LoadCadcadOptions = {}): Promise<CadcadModule> {
  const prefix = opts.field ? `${opts.field}: ` : '';
  const fail = (why: string, cause?: unknown) => new CadcadModuleError(`${prefix}${why}`, spec, cause);
  if (!hasModuleExtension(spec)) {
    throw fail(`workload module ${JSON.stringify(spec)} must end in .js or .mjs (Node imports it as JavaScript); compile it to JavaScript (${DOC})`);
  }
  const file = resolveStrategyPath(spec, baseDir);
  if (!existsSync(file)) {
    throw fail(`no workload module at ${file} (${JSON.stringify(spec)} relative to ${baseDir}); fix the path (a path is relative to the scenario file)`);
  }
  let exports: unknown;
  try {
    exports = await import(pathToFileURL(file).href);
  } catch (e) {
    throw fail(`workload module ${file} failed to load: ${e instanceof Error ? e.message : String(e)}; fix the module (\`node ${file}\` shows the error)`, e);
  }
  let mod: CadcadModule;
  try {
    mod = checkCadcadModule(exports, spec, file);
  } catch (e) {
    if (e instanceof CadcadModuleError && prefix) throw fail(e.message, e.cause);
    throw e;
  }
  if (opts.trial !== false) {
    try {
      createCadcadSource({ module: mod, params: opts.trial?.params, seed: 0, runs: 1, maxStepsPerCall: 1 }).next(1, 0);
    } catch (e) {
      if (!(e instanceof CadcadStepError)) throw e;
      throw fail(`${e.message} (in a trial timestep at load time)`, e);
    }
  }
  return mod;
}

// ---------------------------------------------------------------------------------------------
// the source

export interface CadcadSourceOptions {
  module: CadcadModule;
  /** the scenario's parameters, over the module's (key by key) */
  params?: Record<string, unknown>;
  /** the workload's seed: run r is seeded runSeed(seed, r) */
  seed: number;
  /** Monte Carlo runs (cadCAD's N), default 1 */
  runs?: number;
  /** timesteps per run, over the module's `timesteps`; unbounded when neither is set */
  timesteps?: number;
  /** most timesteps one next() computes (default 10000): a module that rarely emits gives fewer than n, never a hang */
  maxStepsPerCall?: number;
}

export interface CadcadSource extends MessageSource {
  /** timesteps computed so far, over all runs */
  readonly steps: number;
  /** every run reached its last timestep and every message was handed out */
  readonly done: boolean;
}

interface Run {
  index: number;
  info: RunInfo;
  step: number;
  state: State;
  rngs: Map<string, Rng>;
}

type Pending = { key?: string; value: Buffer | string };

const isThenable = (v: unknown): boolean => typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/**
 * The messages of `runs` Monte Carlo runs of a module: run 0 step 1, run 1 step 1, ..., run 0
 * step 2, ..., each step's messages in emit's order. next(n) computes timesteps until n messages
 * are ready (at most maxStepsPerCall of them), so the sequence is the same however it is asked
 * for; each message is stamped `nowMs`. Fewer than n: the runs ended, or the module emitted too
 * little within maxStepsPerCall timesteps.
 */
export function createCadcadSource(opts: CadcadSourceOptions): CadcadSource {
  const mod = opts.module;
  const runsN = opts.runs ?? 1;
  if (!Number.isInteger(runsN) || runsN < 1) throw new ValidationError(`workload module ${mod.name}: runs is ${runsN}; it must be a whole number >= 1`);
  const timesteps = opts.timesteps ?? mod.timesteps;
  if (timesteps !== undefined && (!Number.isInteger(timesteps) || timesteps < 1)) {
    throw new ValidationError(`workload module ${mod.name}: timesteps is ${timesteps}; it must be a whole number >= 1`);
  }
  const maxSteps = opts.maxStepsPerCall ?? 10_000;
  const merged = frozenCopy({ ...mod.params, ...(opts.params ?? {}) }, 'params');
  if (merged.problem) throw new ValidationError(`workload module ${mod.name}: ${merged.problem}`);
  const params = merged.value;
  const policyNames = Object.keys(mod.policies);
  const updateNames = Object.keys(mod.updates);

  const runs: Run[] = Array.from({ length: runsN }, (_, index) => {
    const s = runSeed(opts.seed, index);
    const rngs = new Map<string, Rng>();
    for (const name of [...policyNames.map((p) => `policies.${p}`), 'emit']) rngs.set(name, createRng((s ^ hashName(name)) >>> 0));
    // a structured clone, refrozen: runs share nothing
    const state = deepFreeze(structuredClone(mod.initialState) as Record<string, unknown>);
    return { index, info: Object.freeze({ run: index, runs: runsN }), step: 0, state, rngs };
  });

  const pending: Pending[] = [];
  let head = 0;
  let cursor = 0;
  let steps = 0;
  let broken: CadcadStepError | undefined;

  const stepError = (run: Run, fn: string, step: number, why: string, cause?: unknown) =>
    new CadcadStepError(`workload module ${mod.name}, timestep ${step} of run ${run.index}: ${fn} ${why}`, mod.name, fn, step, run.index, cause);

  const call = <T>(run: Run, fn: string, step: number, f: () => T): T => {
    let out: T;
    try {
      out = f();
    } catch (e) {
      throw stepError(run, fn, step, `threw ${e instanceof Error ? e.message : String(e)}`, e);
    }
    if (isThenable(out)) throw stepError(run, fn, step, 'returned a promise; policies, updates and emit are synchronous (no await, no I/O)');
    return out;
  };

  const stepRun = (run: Run): void => {
    const t = run.step + 1;
    const before = run.state;
    const all: Signals[] = [];
    for (const p of policyNames) {
      const fn = `policies.${p}`;
      const signals = call(run, fn, t, () => mod.policies[p](params, t, before, run.rngs.get(fn)!, run.info));
      if (!isPlainObject(signals)) throw stepError(run, fn, t, `returned ${kindOf(signals)}, not an object of signals; return e.g. { delta: 0.5 } ({} for none)`);
      all.push(signals);
    }
    const signals = aggregateSignals(all);
    Object.freeze(signals);
    const next: Record<string, unknown> = { ...before };
    for (const u of updateNames) {
      const fn = `updates.${u}`;
      const value = call(run, fn, t, () => mod.updates[u](params, t, before, signals, run.info));
      if (value === undefined) throw stepError(run, fn, t, `returned undefined; return the new value of state.${u} (state.${u} to keep it)`);
      const problem = dataProblem(value, `the new state.${u}`);
      if (problem) throw stepError(run, fn, t, `returned what is not plain data: ${problem}`);
      next[u] = deepFreeze(value);
    }
    Object.freeze(next);
    const out = call(run, 'emit', t, () => mod.emit(params, t, next, run.rngs.get('emit')!, run.info));
    if (!Array.isArray(out)) throw stepError(run, 'emit', t, `returned ${kindOf(out)}, not an array of messages; return e.g. [{ key: 'sensor-1', value: { temperature: 21.5 } }] ([] for none)`);
    const messages: Pending[] = [];
    for (let i = 0; i < out.length; i++) {
      const m = out[i] as unknown;
      if (!isPlainObject(m)) throw stepError(run, 'emit', t, `returned ${kindOf(m)} as message ${i}; each message is { key?, value }`);
      const { key, value } = m;
      if (key !== undefined && key !== null && typeof key !== 'string') throw stepError(run, 'emit', t, `returned message ${i} with key ${kindOf(key)}; a key is a string (or left out)`);
      let payload: Buffer | string;
      if (typeof value === 'string' || Buffer.isBuffer(value)) payload = value;
      else if (value instanceof Uint8Array) payload = Buffer.from(value);
      else {
        let json: string | undefined;
        try {
          json = JSON.stringify(value);
        } catch (e) {
          throw stepError(run, 'emit', t, `returned message ${i} whose value cannot be JSON: ${e instanceof Error ? e.message : String(e)}`, e);
        }
        if (json === undefined) throw stepError(run, 'emit', t, `returned message ${i} with value ${kindOf(value)}; a value is a string, a Buffer or what JSON can hold`);
        payload = json;
      }
      messages.push(typeof key === 'string' ? { key, value: payload } : { value: payload });
    }
    run.step = t;
    run.state = next;
    steps++;
    pending.push(...messages);
  };

  const ended = () => timesteps !== undefined && runs[cursor].step >= timesteps;

  return {
    get steps() {
      return steps;
    },
    get done() {
      return ended() && head >= pending.length;
    },
    next(n: number, nowMs: number): StreamMessage[] {
      if (broken) throw broken;
      if (!(n > 0)) return [];
      let computed = 0;
      try {
        while (pending.length - head < n && computed < maxSteps && !ended()) {
          stepRun(runs[cursor]);
          cursor = (cursor + 1) % runs.length;
          computed++;
        }
      } catch (e) {
        if (e instanceof CadcadStepError) broken = e;
        throw e;
      }
      const take = pending.slice(head, head + Math.floor(n));
      head += take.length;
      if (head > 4096 && head * 2 > pending.length) {
        pending.splice(0, head);
        head = 0;
      }
      return take.map((m) => ({ ...m, timestampMs: nowMs }));
    },
  };
}
