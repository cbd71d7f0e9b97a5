import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { importLearnedVectors, writeLearnedVectors } from '../../training/learned.js';
import { learnedDirFor, vectorsDirFor } from '../../training/dirs.js';
import { requiredLabels } from '../../training/labels.js';
import type { ImpactVector } from '../../model/metrics.js';
import { tempStore, type TempStore } from '../controller/fixtures.js';

const vec = (x: number): ImpactVector => ({ responseTime: x, executionTime: -x, throughput: x / 2, latency: 0.125, availability: -0.5, consistency: 0 });

describe('vectors folders', () => {
  it('one folder per scenario under <dataDir>/training; learned ones beside the trained', () => {
    expect(vectorsDirFor('/d', 'thesis')).toBe('/d/training/thesis');
    expect(vectorsDirFor('/d', '../x y')).toBe('/d/training/.._x_y');
    expect(vectorsDirFor('/d', '..')).toBe('/d/training/_');
    expect(learnedDirFor('/d/training/thesis')).toBe('/d/training/thesis/learned');
  });
});

describe('vectors learned online carried between sessions', () => {
  let t: TempStore;
  let u: TempStore;
  beforeEach(async () => {
    t = await tempStore();
    u = await tempStore();
  });
  afterEach(async () => {
    await t.cleanup();
    await u.cleanup();
  });

  it('writes the online vectors (only) and imports them into a fresh store over the trained ones', async () => {
    const dir = join(t.dir, 'learned');
    await t.store.upsertImpact({ appId: 1, actionLabel: 'M3_1', vector: vec(0.5), source: 'online', updatedAtMs: 1 });
    await t.store.upsertImpact({ appId: 2, actionLabel: 'C1_2', vector: vec(-0.25), source: 'online', updatedAtMs: 1 });
    await t.store.upsertImpact({ appId: 1, actionLabel: 'M1_2', vector: vec(0.75), source: 'training', updatedAtMs: 1 });
    const w = await writeLearnedVectors(t.store, dir);
    expect(w).toEqual({ dir, count: 2, apps: [1, 2], replaced: false });
    expect(readdirSync(join(dir, 'app-1'))).toEqual(['IM3_1.txt']);
    expect(readFileSync(join(dir, 'app-2', 'IC1_2.txt'), 'utf8')).toBe('-0.25,0.25,-0.125,0.125,-0.5,0\n');

    // the next run's store: trained vectors for everything, then the learned ones over them
    for (const a of u.scenario.apps) for (const l of requiredLabels(u.scenario)) await u.store.upsertImpact({ appId: a.id, actionLabel: l, vector: vec(0.1), source: 'import', updatedAtMs: 1 });
    const got = await importLearnedVectors(u.store, dir, u.scenario);
    expect(got).toMatchObject({ imported: 2, upToDate: 0, older: 0, ignored: 0 });
    const rows = await u.store.listImpacts();
    expect(rows.filter((r) => r.source === 'online').map((r) => `${r.appId}/${r.actionLabel}`).sort()).toEqual(['1/M3_1', '2/C1_2']);
    expect(rows.find((r) => r.appId === 1 && r.actionLabel === 'M3_1')!.vector).toEqual(vec(0.5));
    expect(rows.length).toBe(u.scenario.apps.length * requiredLabels(u.scenario).length);
    // importing again changes nothing: the store holds them already
    expect(await importLearnedVectors(u.store, dir, u.scenario)).toMatchObject({ imported: 0, upToDate: 2 });
  });

  it('a write replaces the folder whole; nothing learned removes it', async () => {
    const dir = join(t.dir, 'learned');
    await t.store.upsertImpact({ appId: 1, actionLabel: 'M3_1', vector: vec(0.5), source: 'online', updatedAtMs: 1 });
    await writeLearnedVectors(t.store, dir);
    await u.store.upsertImpact({ appId: 3, actionLabel: 'CR1', vector: vec(0.5), source: 'online', updatedAtMs: 1 });
    expect(await writeLearnedVectors(u.store, dir)).toMatchObject({ count: 1, replaced: true });
    expect(readdirSync(dir)).toEqual(['app-3']);
    const empty = await tempStore();
    try {
      expect(await writeLearnedVectors(empty.store, dir)).toMatchObject({ count: 0, replaced: true });
      expect(existsSync(dir)).toBe(false);
      // an absent folder imports nothing
      expect(await importLearnedVectors(empty.store, dir, empty.scenario)).toMatchObject({ imported: 0 });
    } finally {
      await empty.cleanup();
    }
    expect(readdirSync(t.dir).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([]);
  });

  it('keeps a persistent store\'s newer online vector, ignores apps and actions the topology lacks', async () => {
    const dir = join(t.dir, 'learned');
    await t.store.upsertImpact({ appId: 1, actionLabel: 'M3_1', vector: vec(0.5), source: 'online', updatedAtMs: 1 });
    await t.store.upsertImpact({ appId: 9, actionLabel: 'M3_1', vector: vec(0.5), source: 'online', updatedAtMs: 1 });
    await t.store.upsertImpact({ appId: 2, actionLabel: 'M3_7', vector: vec(0.5), source: 'online', updatedAtMs: 1 });
    await writeLearnedVectors(t.store, dir);
    const file = join(dir, 'app-1', 'IM3_1.txt');
    utimesSync(file, new Date(10_000), new Date(10_000));
    // the store learned again after the file was written: its vector stays
    await u.store.upsertImpact({ appId: 1, actionLabel: 'M3_1', vector: vec(0.25), source: 'online', updatedAtMs: 20_000 });
    expect(await importLearnedVectors(u.store, dir, u.scenario)).toMatchObject({ imported: 0, older: 1, ignored: 2 });
    expect((await u.store.listImpacts(1))[0].vector).toEqual(vec(0.25));
    // a store row older than the file is overwritten, and gets the file's time
    await u.store.upsertImpact({ appId: 1, actionLabel: 'M3_1', vector: vec(0.25), source: 'online', updatedAtMs: 5_000 });
    expect(await importLearnedVectors(u.store, dir, u.scenario)).toMatchObject({ imported: 1 });
    expect((await u.store.listImpacts(1))[0]).toMatchObject({ vector: vec(0.5), source: 'online', updatedAtMs: 10_000 });
  });
});
