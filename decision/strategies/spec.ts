/*
 * What a scenario writes as a strategy: a built-in name (registry.ts implements them) or a path
 * to a user's module, relative to the scenario file. Checked here without loading anything, so
 * the scenario model validates a strategy without importing the decision core (load.ts loads).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

export const BUILTIN_STRATEGY_NAMES = ['original', 'no-feedback', 'no-counters', 'random', 'greedy-latency', 'static'] as const;
export type BuiltinStrategyName = (typeof BUILTIN_STRATEGY_NAMES)[number];

export const DEFAULT_STRATEGY: BuiltinStrategyName = 'original';

export function isBuiltinStrategy(spec: string): spec is BuiltinStrategyName {
  return (BUILTIN_STRATEGY_NAMES as readonly string[]).includes(spec);
}

/** A strategy written as a path (./my-strategy.js, ../s.mjs, /abs/s.js, s.js) rather than a built-in name. */
export function isStrategyPath(spec: string): boolean {
  return /[/\\]/.test(spec) || /\.[a-z]+$/i.test(spec);
}

/** The extensions a strategy module may have: what Node imports as JavaScript without a loader. */
export function hasModuleExtension(spec: string): boolean {
  return /\.m?js$/i.test(spec);
}

/** The file a strategy path names: absolute as written, else relative to `baseDir`. */
export function resolveStrategyPath(spec: string, baseDir: string): string {
  return isAbsolute(spec) ? spec : resolve(baseDir, spec);
}

/** The folder a scenario's strategy paths are relative to: its file's (the working folder when it has none). */
export function strategyBaseDir(s: { source?: string }): string {
  return s.source ? dirname(resolve(s.source)) : process.cwd();
}

const FIX = `use a built-in (${BUILTIN_STRATEGY_NAMES.join(', ')}) or a path to a .js or .mjs module such as ./my-strategy.js (docs/strategies.md)`;

/**
 * Why a strategy cannot be used, without loading it: an unknown name, a path without .js/.mjs,
 * a file that does not exist. Undefined when it looks fine.
 */
export function checkStrategySpec(spec: string, baseDir: string): string | undefined {
  if (!isStrategyPath(spec)) return isBuiltinStrategy(spec) ? undefined : `unknown strategy ${JSON.stringify(spec)}; ${FIX}`;
  if (!hasModuleExtension(spec)) return `strategy module ${JSON.stringify(spec)} must end in .js or .mjs (Node imports it as JavaScript); compile it to JavaScript, or ${FIX}`;
  const file = resolveStrategyPath(spec, baseDir);
  if (!existsSync(file)) return `no strategy module at ${file} (${JSON.stringify(spec)} relative to ${baseDir}); fix the path (a path is relative to the scenario file), or ${FIX}`;
  return undefined;
}

type OwnStrategy = { id: number; strategy?: string };

/**
 * The index in the file's apps[] of the i-th batch app: the scenario keeps batch and stream apps
 * apart, each in file order, and the stream apps know their entries; the batch apps have the rest.
 */
function batchEntry(s: { streamApps?: readonly { entry: number }[] }, i: number): number {
  const taken = new Set((s.streamApps ?? []).map((a) => a.entry));
  let entry = -1;
  for (let k = 0; k <= i; k++) do entry++; while (taken.has(entry));
  return entry;
}

/**
 * Which strategy an app runs, batch or stream, and where that was written (its path in the
 * scenario file): an override (--strategy), its own, else the scenario's.
 */
export function strategySpecFor(s: { strategy?: string; apps: readonly OwnStrategy[]; streamApps?: readonly (OwnStrategy & { entry: number })[] }, appId: number, override?: string): { spec: string; field: string } {
  if (override !== undefined) return { spec: override, field: '--strategy (FOGSIM_STRATEGY)' };
  const i = s.apps.findIndex((a) => a.id === appId);
  if (i >= 0 && s.apps[i].strategy !== undefined) return { spec: s.apps[i].strategy!, field: `apps[${batchEntry(s, i)}].strategy` };
  const stream = s.streamApps?.find((a) => a.id === appId);
  if (stream?.strategy !== undefined) return { spec: stream.strategy, field: `apps[${stream.entry}].strategy` };
  return { spec: s.strategy ?? DEFAULT_STRATEGY, field: 'strategy' };
}
