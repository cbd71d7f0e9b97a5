import { epsilonGreedyWithoutCounters } from './choice.js';
import type { Strategy } from './types.js';

/** `no-counters`: the original's choice with global score = score: the counters are ignored (the app still leaves feedback). */
export const noCounters: Strategy = (i) => epsilonGreedyWithoutCounters(i);
