import type { Scenario } from '../model/scenario.js';
import type { Store } from '../db/store.js';
import { requiredImpactLabels } from '../decision/candidates.js';
import { changeRefAction, copyAction, formatAction, moveAction } from '../decision/actions.js';

/*
 * The action labels training produces, per app: M{x}_{y} and C{x}_{y} for every ordered pair of
 * storage nodes, CR{y} for every storage node: the set the node loop requires before it starts
 * (decision/candidates.ts requiredImpactLabels), so "missing" means the same everywhere.
 */

export const moveLabel = (x: number, y: number): string => formatAction(moveAction(x, y));
export const copyLabel = (x: number, y: number): string => formatAction(copyAction(x, y));
export const changeRefLabel = (y: number): string => formatAction(changeRefAction(y));

export interface Pair {
  x: number;
  y: number;
}

/** Ids of the nodes that may host data, ascending. */
export function storageNodes(s: Pick<Scenario, 'nodes'>): number[] {
  return s.nodes.filter((n) => n.storage).map((n) => n.id).sort((a, b) => a - b);
}

/** Every ordered pair (x, y), x != y, of storage nodes, in a stable order. */
export function orderedPairs(s: Pick<Scenario, 'nodes'>): Pair[] {
  const ids = storageNodes(s);
  const out: Pair[] = [];
  for (const x of ids) for (const y of ids) if (x !== y) out.push({ x, y });
  return out;
}

/** Every label the node loop requires for an app (and training writes). */
export function requiredLabels(s: Pick<Scenario, 'nodes'>): string[] {
  return requiredImpactLabels(s.nodes);
}

export interface MissingVectors {
  appId: number;
  labels: string[];
}

/**
 * The impact vectors the decision loop would need but the store lacks, per app (apps with
 * nothing missing are left out). Any source counts: trained, imported or learned online.
 * `fogsim up` / `fogsim run` call this to decide whether to train first.
 */
export async function missingVectors(store: Pick<Store, 'listImpacts'>, scenario: Pick<Scenario, 'nodes' | 'apps'>): Promise<MissingVectors[]> {
  const have = new Set((await store.listImpacts()).map((r) => `${r.appId}/${r.actionLabel}`));
  const need = requiredLabels(scenario);
  const out: MissingVectors[] = [];
  for (const app of scenario.apps) {
    const labels = need.filter((l) => !have.has(`${app.id}/${l}`));
    if (labels.length) out.push({ appId: app.id, labels });
  }
  return out;
}

/** One sentence for a refusal to start: which vectors are missing and how to produce them. */
export function describeMissing(missing: MissingVectors[], scenarioFile = '<scenario>'): string {
  const parts = missing.map((m) => `app ${m.appId}: ${m.labels.length <= 6 ? m.labels.join(', ') : `${m.labels.slice(0, 6).join(', ')} and ${m.labels.length - 6} more`}`);
  return `impact vectors missing (${parts.join('; ')}); produce them with \`fogsim train --scenario ${scenarioFile}\` or import them with \`fogsim train --import DIR --scenario ${scenarioFile}\``;
}
