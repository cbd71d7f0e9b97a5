import { tryParseAction } from '../decision/actions.js';
import { ConflictError } from './errors.js';
import type { AppRow, DatasetCopy, LinkRow, NodeRow } from './types.js';

/*
 * What deleting a node or an app takes with it (DELETE /api/nodes/:id, /api/apps/:id). The rule
 * lives here once: both stores apply it inside their transaction, and the operations check it
 * before stopping any app, so a refused delete leaves everything running.
 *
 * History stays: runs, decisions, events, feedback and timeline rows keep the ids of what is gone
 * (the schema has no foreign keys, so nothing cascades and nothing forbids it).
 */

type App = AppRow & { datasetId: number | null };

/** An app whose reference copy was on the deleted node, now reading another copy of its family. */
export interface Repointed {
  app: number;
  from: { copy: number; node: number };
  to: { copy: number; node: number };
}

/** What the plan decides from the rows; the store carries it out. */
export interface NodeRemovalPlan {
  node: number;
  /** the apps placed on the node, deleted with it */
  apps: number[];
  /** the copies on the node (their objects go too: the operations delete them) */
  copies: DatasetCopy[];
  /** both directions of every link of the node */
  links: LinkRow[];
  repointed: Repointed[];
}

/** What a store removed for a node. */
export interface NodeRemoval extends Omit<NodeRemovalPlan, 'node'> {
  node: NodeRow;
  /** impact vectors removed: those of the node's apps and every app's vectors of actions naming the node */
  impacts: number;
  /** action counters of labels naming the node (an id reused later is another node) */
  counters: string[];
}

/** What a store removed for an app. */
export interface AppRemoval {
  app: AppRow & { datasetId: number | null };
  impacts: number;
  /** its runs stay as history */
  runsKept: number;
}

/**
 * A node or app the admin deleted, as the store remembers it: seeding the scenario on a restart
 * (mode `store`) leaves it out, with a node's links and apps, so a deletion is kept like any other
 * edit. Adding the id again forgets it; seeding in mode `file` (--reset) forgets them all.
 */
export interface Removal {
  kind: 'node' | 'app';
  id: number;
  removedAtMs: number;
}

/** Whether an action label moves, copies or re-points data from or to `nodeId`. */
export function labelNamesNode(label: string, nodeId: number): boolean {
  const a = tryParseAction(label);
  if (!a) return false;
  if (a.type === 'move' || a.type === 'copy') return a.from === nodeId || a.to === nodeId;
  return a.type === 'changeRef' && a.to === nodeId;
}

/**
 * Decides what deleting `nodeId` removes. An app that stays and reads a copy on the node is
 * re-pointed to the nearest remaining copy of the same family (lowest latency from the app's
 * node, then the oldest); when none remains, the delete is refused with a ConflictError naming
 * the data set, the node and the apps, and how to proceed.
 */
export function planNodeRemoval(nodeId: number, apps: App[], copies: DatasetCopy[], links: LinkRow[]): NodeRemovalPlan {
  const gone = copies.filter((c) => c.nodeId === nodeId);
  const kept = copies.filter((c) => c.nodeId !== nodeId);
  const goneIds = new Set(gone.map((c) => c.id));
  const leaving = apps.filter((a) => a.nodeId === nodeId);
  const staying = apps.filter((a) => a.nodeId !== nodeId);
  const latency = (a: number, b: number) => (a === b ? 0 : (links.find((l) => l.from === a && l.to === b)?.latencyMs ?? Infinity));

  const repointed: Repointed[] = [];
  const stranded = new Map<number, number[]>();
  for (const app of staying) {
    if (app.datasetId === null || !goneIds.has(app.datasetId)) continue;
    const from = gone.find((c) => c.id === app.datasetId)!;
    const family = kept.filter((c) => c.familyId === from.familyId);
    if (!family.length) {
      stranded.set(from.familyId, [...(stranded.get(from.familyId) ?? []), app.id]);
      continue;
    }
    const to = [...family].sort((x, y) => latency(app.nodeId, x.nodeId) - latency(app.nodeId, y.nodeId) || x.id - y.id)[0];
    repointed.push({ app: app.id, from: { copy: from.id, node: nodeId }, to: { copy: to.id, node: to.nodeId } });
  }
  if (stranded.size) {
    const details = [...stranded].map(([family, readers]) => {
      const ids = gone.filter((c) => c.familyId === family).map((c) => c.id);
      const what = ids.length === 1 ? `the last copy of data set ${family} (copy ${ids[0]})` : `every copy of data set ${family} (copies ${ids.join(', ')})`;
      return `node ${nodeId} holds ${what}, read by app(s) ${readers.join(', ')}`;
    });
    throw new ConflictError(`node ${nodeId} cannot be deleted`, [...details, 'delete those apps first, or wait until the data set has a copy on another node']);
  }
  return {
    node: nodeId,
    apps: leaving.map((a) => a.id).sort((a, b) => a - b),
    copies: gone,
    links: links.filter((l) => l.from === nodeId || l.to === nodeId),
    repointed,
  };
}
