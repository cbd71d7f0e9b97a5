import { z } from 'zod';
import { MAX_SCENARIO_ID } from '../limits.js';
import type { Goal } from '../types.js';
import { STREAM, streamRng } from './common.js';
import type { TierInfo } from './types.js';

/*
 * `apps: {generator, count, goals}`: count apps (ids 1..count) placed on the nodes, uniformly at
 * random or round-robin, optionally only on some tiers of a tiered topology; goal k of the list
 * cycled or drawn at random.
 */

export const appGeneratorSchema = z
  .object({
    generator: z.enum(['uniform', 'round-robin']).describe('uniform: each app on a node drawn at random; round-robin: app k on the k-th node, cyclically'),
    count: z.number().int().min(1).max(MAX_SCENARIO_ID).describe('how many apps (ids 1..count)'),
    goals: z.array(z.unknown()).min(1).describe('the goals to give the apps (each as apps[].goal)'),
    goalOrder: z.enum(['cycle', 'random']).default('cycle').describe('cycle: app k gets goal k mod the list; random: each app one drawn at random'),
    tiers: z.array(z.string()).min(1).optional().describe('only on nodes of these tiers (a tiered topology; default every node)'),
    seed: z.number().int().optional().describe("seed of the draws (default: the scenario's seed)"),
  })
  .strict();

export type AppGeneratorSpec = z.infer<typeof appGeneratorSchema>;

export interface GeneratedApp {
  id: number;
  node: number;
  goal: Goal;
}

/** The candidate nodes: every node, or those of the named tiers; pushes path-precise problems. */
function candidates(spec: AppGeneratorSpec, nodeIds: readonly number[], tiers: readonly TierInfo[] | undefined, errors: string[]): number[] | undefined {
  if (!spec.tiers) return [...nodeIds];
  if (!tiers) {
    errors.push('apps.tiers: only with a tiered topology (topology.generator: tiered)');
    return undefined;
  }
  const out: number[] = [];
  spec.tiers.forEach((name, i) => {
    const t = tiers.find((x) => x.name === name);
    if (!t) errors.push(`apps.tiers[${i}]: unknown tier "${name}"; tiers: ${tiers.map((x) => x.name).join(', ')}`);
    else for (let id = t.first; id < t.first + t.count; id++) out.push(id);
  });
  if (errors.length) return undefined;
  if (out.length === 0) errors.push(`apps.tiers: the tiers ${spec.tiers.join(', ')} hold no node`);
  return out.length ? out : undefined;
}

/** `goals` are the parsed goals of spec.goals, in order. */
export function generateApps(spec: AppGeneratorSpec, goals: readonly Goal[], seed: number, nodeIds: readonly number[], tiers: readonly TierInfo[] | undefined, errors: string[]): GeneratedApp[] | undefined {
  const nodes = candidates(spec, nodeIds, tiers, errors);
  if (!nodes) return undefined;
  const place = streamRng(seed, STREAM.apps);
  const pick = streamRng(seed, STREAM.goals);
  const apps: GeneratedApp[] = new Array(spec.count);
  for (let k = 0; k < spec.count; k++) {
    const node = spec.generator === 'uniform' ? nodes[place.int(nodes.length)]! : nodes[k % nodes.length]!;
    const goal = spec.goalOrder === 'cycle' ? goals[k % goals.length]! : goals[pick.int(goals.length)]!;
    apps[k] = { id: k + 1, node, goal };
  }
  return apps;
}
