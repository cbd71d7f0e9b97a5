/*
 * Online learning after a repair (docs/architecture.md): the app re-ran at once after its action,
 * and what the action did to it updates the action's impact vector,
 *   impact[label] = (1 - lr) * impact + lr * f(after - before),
 * with the app's own rho. DC is not learned: it follows from the copy count (decision/decide.ts).
 * The formulas are decision/impact.ts; this file applies them to the store.
 */
import type { Store } from '../db/store.js';
import type { ImpactVector, MetricValues } from '../model/metrics.js';
import { rhoFor, type Scenario } from '../model/scenario.js';
import { learnedVector } from '../decision/impact.js';

export interface LearnInput {
  store: Store;
  scenario: Scenario;
  appId: number;
  /** the action executed, with the vector it was scored with */
  chosen: { label: string; vector: ImpactVector };
  /** the metrics measured before the action and right after it */
  before: MetricValues;
  after: MetricValues;
  /** the app's impact vectors when it decided (the one learned from, if there) */
  impacts: ReadonlyMap<string, ImpactVector>;
  nowMs: number;
}

/** Updates and stores (source `online`) the chosen action's impact vector; returns it. */
export async function learnFromRepair(i: LearnInput): Promise<ImpactVector> {
  const old = i.impacts.get(i.chosen.label) ?? i.chosen.vector;
  const vector = learnedVector(old, i.before, i.after, rhoFor(i.scenario, i.appId), i.scenario.decision.learningRate);
  await i.store.upsertImpact({ appId: i.appId, actionLabel: i.chosen.label, vector, source: 'online', updatedAtMs: i.nowMs });
  return vector;
}
