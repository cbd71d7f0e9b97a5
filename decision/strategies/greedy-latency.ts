import { nothingToRepair } from './choice.js';
import { mostWorkers } from './stream.js';
import type { Strategy } from './types.js';

/**
 * `greedy-latency`: the data to the storage node with the lowest latency from the app's node:
 * CR{y} when a copy is already there, else M{d}_{y}; NA when the data already is on such a node
 * (or nothing to repair). Only targets some candidate reaches count; ties go to staying put, then
 * to the lower node id. On a stream app: the most workers, S{maxWorkers} (stream.ts mostWorkers).
 */
export const greedyLatency: Strategy = (i) => {
  if (nothingToRepair(i)) return 'NA';
  if (i.kind === 'stream') return mostWorkers(i);
  const lat = (node: number) => i.latencyMs[node] ?? Infinity;
  let best: { node: number; label: string } = { node: i.placement.dataNode, label: 'NA' };
  for (const c of i.candidates) {
    if (c.action.type !== 'move' && c.action.type !== 'changeRef') continue;
    const y = c.action.to;
    const better = lat(y) < lat(best.node) || (lat(y) === lat(best.node) && best.label !== 'NA' && y < best.node);
    if (better) best = { node: y, label: c.label };
  }
  return best.label;
};
