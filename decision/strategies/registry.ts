import { greedyLatency } from './greedy-latency.js';
import { BUILTIN_STRATEGY_NAMES, type BuiltinStrategyName } from './spec.js';
import { noCounters } from './no-counters.js';
import { noFeedback } from './no-feedback.js';
import { original } from './original.js';
import { random } from './random.js';
import { staticStrategy } from './static.js';
import type { NamedStrategy, Strategy } from './types.js';

const entry = (name: BuiltinStrategyName, decide: Strategy, leavesFeedback = true): NamedStrategy => ({ name, decide, leavesFeedback });

/** Every built-in strategy by name, one line each. */
export const BUILTIN_STRATEGIES: Readonly<Record<BuiltinStrategyName, NamedStrategy>> = {
  original: entry('original', original),
  'no-feedback': entry('no-feedback', noFeedback, false),
  'no-counters': entry('no-counters', noCounters),
  random: entry('random', random),
  'greedy-latency': entry('greedy-latency', greedyLatency),
  static: entry('static', staticStrategy),
};

export function builtinStrategy(name: string): NamedStrategy | undefined {
  return (BUILTIN_STRATEGY_NAMES as readonly string[]).includes(name) ? BUILTIN_STRATEGIES[name as BuiltinStrategyName] : undefined;
}
