import { epsilonGreedy } from './choice.js';
import type { Strategy } from './types.js';

/** `original`: decide() as the system always did: epsilon-greedy on the global scores (scores with the counter penalty). */
export const original: Strategy = (i) => epsilonGreedy(i);
