import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetText, ensureDatasetFile, generateDataset } from '../../dataset/generate.js';
import { FIELDS } from '../../dataset/schema.js';
import { UserError } from '../../model/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'fogsim-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// the keys of the original data set, in its order (shared/datasets/file1.json.gz)
const ORIGINAL_KEYS = ['ssn', 'date', 'gender', 'RBCs', 'WBCs', 'platelets', 'Hct', 'Hgb', 'cholesterol', 'HDL cholesterol', 'LDL cholesterol', 'triglycerides', 'DiagnosisCode', 'MCV', 'MCH', 'Sodium', 'Potassium', 'Calcium', 'Creatinine', 'Phosphorus', 'Neutrophils', 'Lymphocytes', 'Monocytes', 'Eosinophiles', 'Basophils', 'RDW', 'MPV', 'CMP', 'ALT', 'Albumin', 'Globulin', 'Chloride'];

describe('generateDataset', () => {
  it('same seed: byte-identical files; another seed: a different file', async () => {
    const a = await generateDataset(join(dir, 'a.json'), { records: 2500, seed: 42 });
    const b = await generateDataset(join(dir, 'b.json'), { records: 2500, seed: 42 });
    const c = await generateDataset(join(dir, 'c.json'), { records: 2500, seed: 43 });
    expect(readFileSync(a.path).equals(readFileSync(b.path))).toBe(true);
    expect(readFileSync(a.path).equals(readFileSync(c.path))).toBe(false);
    expect(a.bytes).toBe(statSync(a.path).size);
  });

  it('writes the schema, order and layout of the original, with values in range', async () => {
    const g = await generateDataset(join(dir, 's.json'), { records: 2000, seed: 5 });
    const text = readFileSync(g.path, 'utf8');
    expect(text.startsWith('[\r\n{\r\n"ssn":"')).toBe(true);
    expect(text.endsWith('\r\n}\r\n]')).toBe(true);
    expect(text).not.toMatch(/[^\r]\n/); // CRLF line ends only
    const arr = JSON.parse(text) as Record<string, unknown>[];
    expect(arr).toHaveLength(2000);
    let sum = 0;
    const genders = new Set<unknown>();
    for (const r of arr) {
      expect(Object.keys(r)).toEqual(ORIGINAL_KEYS);
      for (const f of FIELDS) {
        const v = r[f.name];
        if (f.kind === 'number') {
          expect(typeof v).toBe('number');
          expect(v as number).toBeGreaterThanOrEqual(f.min);
          expect(v as number).toBeLessThanOrEqual(f.max);
        }
      }
      expect(r.ssn).toMatch(/^[1-9]\d{9}$/);
      expect(r.date).toMatch(/^(1[0-2]|[1-9])\/([1-9]|[12]\d|3[01])\/(2019|2020)$/);
      expect(r.DiagnosisCode).toMatch(/^[A-TV-Z]\d{2}[0-9X]{1,3}[0-9ADS]?$/);
      genders.add(r.gender);
      sum += r.cholesterol as number;
    }
    expect(genders).toEqual(new Set(['M', 'F']));
    expect(g.avgCholesterol).toBe(sum / 2000);
    // a float keeps one decimal like Python's repr ("266.0"), integers have none, no trailing zeros
    expect(text).toMatch(/"cholesterol":\d+\.\d,\r\n/);
    expect(text).toMatch(/"Hgb":\d+,/);
    expect(text).not.toMatch(/":-?\d+\.\d+0[,\r]/); // "12.50" would be "12.5"
  });

  it('refuses bad options, naming the flag', async () => {
    await expect(generateDataset(join(dir, 'x.json'), { records: 0 })).rejects.toThrow(/--records: must be a positive integer/);
    await expect(generateDataset(join(dir, 'x.json'), { records: 1.5 })).rejects.toBeInstanceOf(UserError);
    await expect(generateDataset(join(dir, 'x.json'), { records: 10, seed: -1 })).rejects.toThrow(/--seed/);
  });

  it('streams: memory does not hold the whole file (batches of 1000 records)', () => {
    const it = datasetText(5000, 1);
    const first = it.next().value as string;
    expect(first.length).toBeLessThan(1000 * 700);
    expect(first.length).toBeGreaterThan(1000 * 400);
  });

  it('ensureDatasetFile generates once and reuses the file', async () => {
    const s = { dataset: { records: 50, seed: 9, node: 3, objectKey: 'bloodtests.json' } };
    const p1 = await ensureDatasetFile(s, { dataDir: dir });
    const m1 = statSync(p1).mtimeMs;
    const p2 = await ensureDatasetFile(s, { dataDir: dir });
    expect(p2).toBe(p1);
    expect(statSync(p2).mtimeMs).toBe(m1);
    expect((JSON.parse(readFileSync(p1, 'utf8')) as unknown[]).length).toBe(50);
  });
});
