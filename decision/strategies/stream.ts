/*
 * A stream app's side of the strategies (docs/strategies.md, "Stream apps"): the candidates of a
 * scale decision, the input a strategy is given once the scale rule's trigger fired, and the two
 * choices the built-ins make on it. Pure: the app (stream/app/app.ts) measures, asks decideScale
 * (decision/scale.ts), builds the input here and runs the strategy through applyStrategy.
 */
import { NO_ACTION, formatAction, scaleAction } from '../actions.js';
import type { ScaleDecision, ScaleRule, WindowRates } from '../scale.js';
import type { StreamCandidate, StreamStrategyInput } from './types.js';

/** NA first, then S1..S{maxWorkers} without the current count, each with the community's counter for its label. */
export function streamCandidates(workers: number, maxWorkers: number, counters: Readonly<Record<string, number>>): StreamCandidate[] {
  const out: StreamCandidate[] = [{ label: 'NA', action: NO_ACTION as StreamCandidate['action'], counter: counters.NA ?? 0 }];
  for (let n = 1; n <= maxWorkers; n++) {
    if (n === workers) continue;
    const action = scaleAction(n) as StreamCandidate['action'];
    const label = formatAction(action);
    out.push({ label, action, counter: counters[label] ?? 0 });
  }
  return out;
}

export interface StreamInputParts extends Omit<StreamStrategyInput, 'kind' | 'candidates' | 'scale'> {
  rule: ScaleRule;
  proposal: ScaleDecision;
  rates: WindowRates;
  maxWorkers: number;
}

/** The input of a stream app's strategy for one window whose rule's trigger fired. */
export function streamStrategyInput(p: StreamInputParts): StreamStrategyInput {
  const { rule, proposal, rates, maxWorkers, ...rest } = p;
  return {
    kind: 'stream',
    ...rest,
    candidates: streamCandidates(rates.workers, maxWorkers, p.counters),
    scale: { rule, proposal, rates, workers: rates.workers, maxWorkers },
  };
}

/** The scale rule's proposal (NA when it keeps the count or the workers are catching up): original, no-counters, no-feedback. */
export const ruleProposal = (i: StreamStrategyInput): string => i.scale.proposal.label;

/** The most workers, S{maxWorkers}: the lowest-latency choice there is without an impact vector (greedy-latency); NA when the app has them already. */
export const mostWorkers = (i: StreamStrategyInput): string => (i.scale.workers >= i.scale.maxWorkers ? 'NA' : formatAction(scaleAction(i.scale.maxWorkers)));
