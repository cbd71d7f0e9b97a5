/*
 * Loading the strategy a scenario (or --strategy) names: a built-in by name, or a user's module
 * by path. The one part of decision/strategies/ with I/O (a dynamic import); the strategies
 * themselves are pure.
 */
import { pathToFileURL } from 'node:url';
import { builtinStrategy } from './registry.js';
import { checkStrategySpec, isStrategyPath, resolveStrategyPath, strategyBaseDir, strategySpecFor } from './spec.js';
import { StrategyError, type NamedStrategy, type Strategy } from './types.js';

export interface StrategySource {
  /** the name or path as written */
  spec: string;
  /** where it was written, for messages: `strategy`, `apps[0].strategy`, `--strategy (FOGSIM_STRATEGY)` */
  field: string;
  /** the folder a relative path is resolved against (the scenario file's: spec.ts strategyBaseDir) */
  baseDir: string;
}

/**
 * The strategy a source names. A module's default export, or else its `decide` export, must be
 * a function; `export const leavesFeedback = false` makes the app leave no feedback. Every
 * problem is a StrategyError naming the field and the fix.
 */
export async function loadStrategy(src: StrategySource): Promise<NamedStrategy> {
  const fail = (why: string) => new StrategyError(`${src.field}: ${why}`, src.spec);
  const problem = checkStrategySpec(src.spec, src.baseDir);
  if (problem) throw fail(problem);
  if (!isStrategyPath(src.spec)) return builtinStrategy(src.spec)!;
  const file = resolveStrategyPath(src.spec, src.baseDir);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw fail(`strategy module ${file} failed to load: ${e instanceof Error ? e.message : String(e)}; fix the module (\`node ${file}\` shows the error)`);
  }
  const fn = typeof mod.default === 'function' ? mod.default : mod.decide;
  if (typeof fn !== 'function') {
    const has = Object.keys(mod);
    throw fail(
      `strategy module ${file} exports no function as default or decide${has.length ? ` (it exports ${has.join(', ')})` : ''}; add \`export default function (input) { return 'NA'; }\` or \`export function decide(input) { ... }\` (docs/strategies.md)`,
    );
  }
  if (mod.leavesFeedback !== undefined && typeof mod.leavesFeedback !== 'boolean') {
    throw fail(`strategy module ${file} exports leavesFeedback ${JSON.stringify(mod.leavesFeedback)}; expected true or false`);
  }
  return { name: src.spec, decide: fn as Strategy, leavesFeedback: mod.leavesFeedback !== false };
}

/**
 * The strategy of one app: the override (--strategy, FOGSIM_STRATEGY: a name or an absolute
 * path), else the app's own, else the scenario's, with paths relative to the scenario file. A
 * failure is a StrategyError `strategy <spec> of app <id>: <field>: ...`.
 */
export async function loadAppStrategy(scenario: Parameters<typeof strategySpecFor>[0] & { source?: string }, appId: number, override?: string): Promise<NamedStrategy> {
  const src = strategySpecFor(scenario, appId, override);
  try {
    return await loadStrategy({ ...src, baseDir: override === undefined ? strategyBaseDir(scenario) : process.cwd() });
  } catch (e) {
    if (!(e instanceof StrategyError)) throw e;
    throw new StrategyError(`strategy ${src.spec} of app ${appId}: ${e.message}`, src.spec, appId);
  }
}
