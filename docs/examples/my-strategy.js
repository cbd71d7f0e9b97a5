// A strategy of your own (docs/strategies.md): "availability first". When the goal is violated,
// move the data, or re-point to a copy, on the storage node of highest availability above the
// data node's, the nearest (lowest latency from the app's node) among equals, skipping actions the
// community has judged harmful (counter above 0); otherwise do nothing.
//
// Use it with `strategy: ./my-strategy.js` in a scenario (the path is relative to the scenario
// file), for one app with `apps[].strategy`, or for every app with
// `fogsim run --strategy docs/examples/my-strategy.js ...` (relative to where you type it).

/**
 * @param {import('../../decision/strategies/types.js').StrategyInput} input
 * @returns {import('../../decision/strategies/types.js').StrategyResult}
 */
export default function availabilityFirst({ candidates, placement, latencyMs, counters }) {
  const availability = new Map(placement.nodes.map((n) => [n.id, n.availability]));
  const here = availability.get(placement.dataNode) ?? 0;
  const latency = (node) => latencyMs[node] ?? Infinity;
  const options = candidates
    .filter((c) => c.action.type === 'move' || c.action.type === 'changeRef')
    .filter((c) => (counters[c.label] ?? 0) === 0 && (availability.get(c.action.to) ?? 0) > here)
    .sort((a, b) => availability.get(b.action.to) - availability.get(a.action.to) || latency(a.action.to) - latency(b.action.to));
  return options.length > 0 ? options[0].label : 'NA';
}

// Optional: `export const leavesFeedback = false;` would make the app leave no feedback on the
// events of others (as the built-in no-feedback does).
