import { epsilonGreedy } from './choice.js';
import { ruleProposal } from './stream.js';
import type { Strategy } from './types.js';

/**
 * `original`: decide() as the system always did: epsilon-greedy on the global scores (scores with
 * the counter penalty); on a stream app, the scale rule's proposal.
 */
export const original: Strategy = (i) => (i.kind === 'stream' ? ruleProposal(i) : epsilonGreedy(i));
