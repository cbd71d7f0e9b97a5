import { epsilonGreedyWithoutCounters } from './choice.js';
import { ruleProposal } from './stream.js';
import type { Strategy } from './types.js';

/**
 * `no-feedback`: no external feedback at all: the choice ignores the counters (as no-counters;
 * on a stream app the scale rule's proposal) and the app leaves no feedback on the events of
 * others (registry.ts: leavesFeedback false).
 */
export const noFeedback: Strategy = (i) => (i.kind === 'stream' ? ruleProposal(i) : epsilonGreedyWithoutCounters(i));
