import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import type { Scenario } from '../model/scenario.js';
import type { Store } from '../db/store.js';
import { appDir, formatVector, readVectorDir, writeVectorFile } from './files.js';
import { requiredLabels } from './labels.js';

/*
 * Vectors learned at run time (the node loop's online update, source 'online' in impact_vectors)
 * carried from one session to the next: a run's store is thrown away at its end, so what it
 * learned is written to `<vectorsDir>/learned/app-<id>/` (training/dirs.ts learnedDirFor) in the
 * vector file format, and the next `run` / `up` imports it over the trained vectors.
 *
 * The folder holds what the last session ended with: a write replaces it whole (a session that
 * started from the trained vectors alone, --fresh-vectors, replaces the earlier learning).
 */

export interface LearnedWrite {
  dir: string;
  count: number;
  apps: number[];
  /** the folder held an earlier set, now replaced (or removed, when nothing was learned) */
  replaced: boolean;
}

/** Writes every online-learned vector of the store to `dir/app-<id>/`, replacing what `dir` held. */
export async function writeLearnedVectors(store: Pick<Store, 'listImpacts'>, dir: string): Promise<LearnedWrite> {
  const rows = (await store.listImpacts()).filter((r) => r.source === 'online');
  const apps = [...new Set(rows.map((r) => r.appId))].sort((a, b) => a - b);
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  for (const r of rows) await writeVectorFile(appDir(tmp, r.appId), r.actionLabel, r.vector);
  // swap whole folders, so a reader sees the old set or the new one, never a mix
  const replaced = existsSync(dir);
  if (replaced) await rename(dir, old);
  if (rows.length) await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
  await rm(tmp, { recursive: true, force: true });
  return { dir, count: rows.length, apps, replaced };
}

export interface LearnedImport {
  dir: string;
  /** written to the store (source 'online') */
  imported: number;
  /** already in the store with the same values (a persistent store that learned them itself) */
  upToDate: number;
  /** older than the store's own online vector for the same action (the store learned since) */
  older: number;
  /** apps or actions the topology does not have (a node added in another session, say) */
  ignored: number;
}

/**
 * Imports the learned vectors of `dir` over the store's, with source 'online', for the apps and
 * actions of `topology`. A file is skipped when the store already holds an online vector for
 * that action that is as recent as the file (the store went on learning after it was written).
 * An absent or empty folder imports nothing; a bad file imports nothing and throws (UserError).
 */
export async function importLearnedVectors(
  store: Pick<Store, 'listImpacts' | 'upsertImpact'>,
  dir: string,
  topology: Pick<Scenario, 'nodes' | 'apps' | 'decision'>,
): Promise<LearnedImport> {
  const out: LearnedImport = { dir, imported: 0, upToDate: 0, older: 0, ignored: 0 };
  if (!existsSync(dir) || !(await readdir(dir)).some((n) => /^app-\d+$/.test(n))) return out;
  const fill = { copies: 1, maxCopies: topology.decision.maxCopies, rhoConsistency: topology.decision.rho.consistency };
  const found = await readVectorDir(dir, fill);
  const apps = new Set(topology.apps.map((a) => a.id));
  const labels = new Set(requiredLabels(topology));
  const have = new Map((await store.listImpacts()).map((r) => [`${r.appId}/${r.actionLabel}`, r]));
  for (const v of found) {
    if (!apps.has(v.appId) || !labels.has(v.label)) {
      out.ignored++;
      continue;
    }
    const mtimeMs = Math.floor((await stat(v.file)).mtimeMs);
    const row = have.get(`${v.appId}/${v.label}`);
    if (row?.source === 'online' && formatVector(row.vector) === formatVector(v.vector)) {
      out.upToDate++;
      continue;
    }
    if (row?.source === 'online' && row.updatedAtMs > mtimeMs) {
      out.older++;
      continue;
    }
    await store.upsertImpact({ appId: v.appId, actionLabel: v.label, vector: v.vector, source: 'online', updatedAtMs: mtimeMs });
    out.imported++;
  }
  return out;
}
