import { epsilonGreedyWithoutCounters } from './choice.js';
import { ruleProposal } from './stream.js';
import type { Strategy } from './types.js';

/**
 * `no-counters`: the original's choice with global score = score: the counters are ignored (the
 * app still leaves feedback); on a stream app, the scale rule's proposal (which reads no counter).
 */
export const noCounters: Strategy = (i) => (i.kind === 'stream' ? ruleProposal(i) : epsilonGreedyWithoutCounters(i));
