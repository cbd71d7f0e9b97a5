import type { Store } from '../db/store.js';
import { linkLatency, scenarioLinks, type Scenario } from '../model/scenario.js';
import type { LinkRow, NodeRow } from '../model/types.js';
import type { Removal } from '../model/removal.js';

/*
 * Where the store differs from the scenario file. After the first start the store is the truth
 * (`fogsim up` keeps the admin's edits over a restart; `--reset` applies the file again), so the
 * admin UI and the start-up log say what the file would change back.
 */

export interface DriftItem {
  /** `node 2 availability`, `app 3`, `link 1-2 latencyMs` */
  what: string;
  file: number | boolean | string | null;
  store: number | boolean | string | null;
}

/**
 * The differences, in node, app, then link order; nodes and links the file does not name are not
 * drift (add-node). A node or app of the file the admin deleted (`removals`) is `removed`.
 */
export function driftFrom(s: Scenario, nodes: readonly NodeRow[], links: readonly LinkRow[], removals: readonly Removal[] = []): DriftItem[] {
  const out: DriftItem[] = [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const removed = (kind: Removal['kind'], id: number) => removals.some((r) => r.kind === kind && r.id === id);
  for (const n of s.nodes) {
    const have = byId.get(n.id);
    if (!have) {
      out.push({ what: `node ${n.id}`, file: 'present', store: removed('node', n.id) ? 'removed' : 'missing' });
      continue;
    }
    if (have.availability !== n.availability) out.push({ what: `node ${n.id} availability`, file: n.availability, store: have.availability });
    if (have.storage !== n.storage) out.push({ what: `node ${n.id} storage`, file: n.storage, store: have.storage });
  }
  // a removed app is not in the store (adding it again forgets the removal)
  for (const a of s.apps) if (removed('app', a.id)) out.push({ what: `app ${a.id}`, file: 'present', store: 'removed' });
  const stored = new Map<string, number>();
  for (const l of links) stored.set(l.from < l.to ? `${l.from}-${l.to}` : `${l.to}-${l.from}`, l.latencyMs);
  for (const l of scenarioLinks(s)) {
    const key = l.from < l.to ? `${l.from}-${l.to}` : `${l.to}-${l.from}`;
    const file = linkLatency(s, l.from, l.to);
    const have = stored.get(key);
    if (have !== undefined && have !== file) out.push({ what: `link ${key} latencyMs`, file, store: have });
  }
  return out;
}

export async function storeDrift(store: Store, s: Scenario): Promise<DriftItem[]> {
  const [nodes, links, removals] = await Promise.all([store.listNodes(), store.listLinks(), store.listRemovals()]);
  return driftFrom(s, nodes, links, removals);
}

export function describeDrift(items: readonly DriftItem[], file: string): string {
  const shown = items.slice(0, 5).map((d) => `${d.what} ${String(d.store)} (file ${String(d.file)})`);
  return `the store differs from ${file} in ${items.length} place(s), kept as the admin left them (fogsim up --reset applies the file): ${shown.join(', ')}${items.length > 5 ? ', ...' : ''}`;
}
