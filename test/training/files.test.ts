import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../model/errors.js';
import { loadScenario } from '../../model/scenario.js';
import { fileNameForLabel, labelForFileName, parseVectorText, readVectorDir, writeVectorFile } from '../../training/files.js';
import { importVectors } from '../../training/import.js';
import type { ImpactRow } from '../../model/types.js';

const fill = { copies: 1, maxCopies: 2, rhoConsistency: 0.5 };
const tmp = () => mkdtempSync(join(tmpdir(), 'fogsim-train-files-'));

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('original-format vector files', () => {
  it('maps labels to file names and back', () => {
    expect(fileNameForLabel('M1_3')).toBe('IM1_3.txt');
    expect(labelForFileName('IM1_3.txt')).toBe('M1_3');
    expect(labelForFileName('IC12_3.txt')).toBe('C12_3');
    expect(labelForFileName('ICR2.txt')).toBe('CR2');
    expect(labelForFileName('notes.txt')).toBeUndefined();
    expect(labelForFileName('IM1_3.txt.bak')).toBeUndefined();
  });

  it('reads one line or one value per line, six values or five (DC filled: 0 for moves, the extra-copy impact for copies)', () => {
    expect(Object.values(parseVectorText('0.5,-0.25,0,1,-1,0.125\n', 'f', 'M1_2', fill))).toEqual([0.5, -0.25, 0, 1, -1, 0.125]);
    expect(Object.values(parseVectorText('0.5\n-0.25\n0\n1\n-1\n0.125\n', 'f', 'M1_2', fill))).toEqual([0.5, -0.25, 0, 1, -1, 0.125]);
    expect(Object.values(parseVectorText(' 0.5, -0.25 ,0,1,-1\r\n', 'f', 'M1_2', fill))).toEqual([0.5, -0.25, 0, 1, -1, 0]);
    expect(parseVectorText('0.5,-0.25,0,1,-1', 'f', 'CR2', fill).consistency).toBe(0);
    expect(parseVectorText('0.5,-0.25,0,1,-1', 'f', 'C1_2', fill).consistency).toBe(-1);
  });

  it('rejects bad files naming the file and the value', () => {
    expect(userError(() => parseVectorText('0.5,0.2,0.1', 'a/IM1_2.txt', 'M1_2', fill))).toMatch(/a\/IM1_2.txt: expected 5 or 6 .* found 3/);
    expect(userError(() => parseVectorText('0.5,0.2,abc,0,0,0', 'a/IM1_2.txt', 'M1_2', fill))).toMatch(/a\/IM1_2.txt: value 3 \(throughput\) is "abc", not a number/);
    expect(userError(() => parseVectorText('0.5,0.2,0,0,1.5,0', 'a/IM1_2.txt', 'M1_2', fill))).toMatch(/value 5 \(availability\) is 1.5, outside \[-1, 1\]/);
    expect(userError(() => parseVectorText('0.5,0x1,0,0,0,0', 'f', 'M1_2', fill))).toMatch(/value 2/);
    expect(userError(() => parseVectorText('', 'empty.txt', 'M1_2', fill))).toMatch(/empty.txt: expected 5 or 6 .* found 0/);
  });

  it('written files read back identically and import with source "import"', async () => {
    const dir = tmp();
    const v = { responseTime: 0.912345, executionTime: -0.1, throughput: 0, latency: 1, availability: -0.8, consistency: -1 };
    const file = await writeVectorFile(join(dir, 'app-1'), 'C1_3', v);
    expect(readFileSync(file, 'utf8')).toBe('0.912345,-0.1,0,1,-0.8,-1\n');
    await writeVectorFile(join(dir, 'app-2'), 'CR3', { ...v, consistency: 0 });
    writeFileSync(join(dir, 'app-2', 'README'), 'not a vector');
    const rows: ImpactRow[] = [];
    const got = await importVectors({ dir, store: { upsertImpact: async (r) => void rows.push(r) }, now: 5 });
    expect(got.map((g) => [g.appId, g.label])).toEqual([[1, 'C1_3'], [2, 'CR3']]);
    expect(rows[0]).toEqual({ appId: 1, actionLabel: 'C1_3', vector: v, source: 'import', updatedAtMs: 5 });
    expect(rows[1].vector).toEqual({ ...v, consistency: 0 });
  });

  it('a bad file anywhere imports nothing; unknown apps/nodes and empty folders are named', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'app-1'));
    writeFileSync(join(dir, 'app-1', 'IM1_2.txt'), '0,0,0,0,0,0');
    writeFileSync(join(dir, 'app-1', 'IM2_1.txt'), '0,0,0,0,2,0');
    const rows: ImpactRow[] = [];
    await expect(importVectors({ dir, store: { upsertImpact: async (r) => void rows.push(r) } })).rejects.toThrow(/IM2_1.txt: value 5 \(availability\) is 2, outside/);
    expect(rows).toEqual([]);

    writeFileSync(join(dir, 'app-1', 'IM2_1.txt'), '0,0,0,0,0');
    mkdirSync(join(dir, 'app-9'));
    writeFileSync(join(dir, 'app-9', 'IM1_4.txt'), '0,0,0,0,0');
    const s = loadScenario('scenarios/thesis.yaml');
    await expect(importVectors({ dir, store: { upsertImpact: async () => {} }, scenario: s })).rejects.toThrow(/app-9.*app 9 is not in scenario thesis/);
    await expect(importVectors({ dir, store: { upsertImpact: async () => {} }, scenario: s, appId: 1 })).resolves.toHaveLength(2);

    await expect(readVectorDir(tmp(), fill)).rejects.toThrow(/no vector files found/);
    await expect(readVectorDir(join(dir, 'nope'), fill)).rejects.toThrow(/not a directory/);
    // files straight in the folder need --app
    const flat = tmp();
    writeFileSync(join(flat, 'IM1_2.txt'), '1,1,1,1,1');
    await expect(readVectorDir(flat, fill)).rejects.toThrow(/--app ID/);
    expect((await readVectorDir(flat, fill, 3))[0]).toMatchObject({ appId: 3, label: 'M1_2' });
  });
});
