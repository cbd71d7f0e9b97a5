import { UserError } from '../model/errors.js';
import type { Scenario } from '../model/scenario.js';
import type { Store } from '../db/store.js';
import { tryParseAction } from '../decision/actions.js';
import { readVectorDir, type FiveValueFill, type ImportedVector } from './files.js';

/** Defaults of the scenario model (k = 2, rho DC = 0.5), for imports made without a scenario. */
const DEFAULT_FILL: FiveValueFill = { copies: 1, maxCopies: 2, rhoConsistency: 0.5 };

export interface ImportOptions {
  dir: string;
  store: Pick<Store, 'upsertImpact'>;
  /** when given: DC filling uses its k and rho, and app and node ids are checked against it */
  scenario?: Scenario;
  appId?: number;
  now?: number;
}

/**
 * `fogsim train --import DIR`: validates every file first (a bad one imports nothing), then
 * upserts the vectors with source 'import'. Returns what was imported.
 */
export async function importVectors(o: ImportOptions): Promise<ImportedVector[]> {
  const s = o.scenario;
  const fill = s ? { copies: 1, maxCopies: s.decision.maxCopies, rhoConsistency: s.decision.rho.consistency } : DEFAULT_FILL;
  const found = await readVectorDir(o.dir, fill, o.appId);
  if (s) {
    const apps = new Set(s.apps.map((a) => a.id));
    const nodes = new Set(s.nodes.map((n) => n.id));
    for (const v of found) {
      if (!apps.has(v.appId)) throw new UserError(`${v.file}: app ${v.appId} is not in scenario ${s.name} (apps ${[...apps].join(', ')}); rename the folder or drop --scenario`);
      const a = tryParseAction(v.label);
      const ids = a?.type === 'move' || a?.type === 'copy' ? [a.from, a.to] : a?.type === 'changeRef' ? [a.to] : [];
      const bad = ids.find((id) => !nodes.has(id));
      if (bad !== undefined) throw new UserError(`${v.file}: node ${bad} is not in scenario ${s.name} (nodes ${[...nodes].join(', ')})`);
    }
  }
  const now = o.now ?? Date.now();
  for (const v of found) await o.store.upsertImpact({ appId: v.appId, actionLabel: v.label, vector: v.vector, source: 'import', updatedAtMs: now });
  return found;
}
