import type { GeneratedNode } from './common.js';

/*
 * What a topology generator leaves on the Scenario: the nodes, and a compact description of the
 * latency of every pair (O(nodes), never O(nodes^2): a 10,000-node topology has 50M pairs).
 * linkLatency in model/scenario.ts answers from it for a pair without an explicit link.
 */

export type LatencyModel =
  /** node id i is at index i - 1; latency = ms[tier(a) * tiers + tier(b)] +- the pair's jitter */
  | { kind: 'tiered'; seed: number; tierOf: Uint16Array; tiers: number; ms: Float64Array; jitterMs: number }
  /** node id i is at index i - 1; latency = baseMs + msPerUnit * distance +- the pair's jitter */
  | { kind: 'geometric'; seed: number; x: Float64Array; y: Float64Array; baseMs: number; msPerUnit: number; jitterMs: number }
  /** the shortest path over the scenario's links (an imported network need not give every pair) */
  | { kind: 'shortest-path' };

export interface TierInfo {
  name: string;
  /** ids first .. first + count - 1 */
  first: number;
  count: number;
}

/** The `topology` of a parsed scenario. */
export interface ScenarioTopology {
  generator: 'tiered' | 'random-geometric' | 'file';
  tiers?: TierInfo[];
  /** the imported file, resolved */
  file?: string;
  latency: LatencyModel;
}

export interface GeneratedTopology {
  nodes: GeneratedNode[];
  /** explicit links (an imported network's edges); generated topologies have none */
  links: { from: number; to: number; latencyMs: number }[];
  topology: ScenarioTopology;
  /** where the data set starts when dataset.node is not given */
  datasetNode: number | undefined;
}
