import { epsilonGreedyWithoutCounters } from './choice.js';
import type { Strategy } from './types.js';

/**
 * `no-feedback`: no external feedback at all: the choice ignores the counters (as no-counters)
 * and the app leaves no feedback on the events of others (registry.ts: leavesFeedback false).
 */
export const noFeedback: Strategy = (i) => epsilonGreedyWithoutCounters(i);
