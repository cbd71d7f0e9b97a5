import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { UserError } from '../model/errors.js';
import type { Scenario } from '../model/scenario.js';
import type { InfraConfig } from '../util/config.js';
import { createRng, type Rng } from '../util/rng.js';
import { DATE_FROM, DATE_TO, FIELDS, type FieldSpec } from './schema.js';

/*
 * Seeded blood-test data set with the schema and layout of the original: a pretty-printed JSON
 * array, one "key":value per line, CRLF line ends, no spaces, no newline after the final ']'.
 * The same seed and record count give a byte-identical file; memory stays bounded (records are
 * written in batches, with backpressure).
 */

export interface GenerateOptions {
  records: number;
  seed?: number;
}

export interface GenerateResult {
  path: string;
  records: number;
  bytes: number;
  /** the exact average cholesterol of the file (naive in-order sum, as the job computes it) */
  avgCholesterol: number | null;
}

const DAY_MS = 86_400_000;
const BATCH = 1000;
const DIAG_LETTERS = 'ABCDEFGHIJKLMNOPQRSTVWXYZ'; // ICD-10 has no U codes in use
const DIAG_SUFFIX = 'ADS'; // initial / subsequent encounter / sequela

type Writer = (rng: Rng) => string;

function numberWriter(spec: { min: number; max: number; decimals: number }): Writer {
  const scale = 10 ** spec.decimals;
  const lo = Math.round(spec.min * scale);
  const span = Math.round(spec.max * scale) - lo + 1;
  if (spec.decimals === 0) return (rng) => String(lo + rng.int(span));
  return (rng) => {
    // integer arithmetic, then Python-float formatting: "12.50" -> "12.5", "266.00" -> "266.0"
    const m = lo + rng.int(span);
    const int = Math.floor(m / scale);
    let frac = String(m - int * scale).padStart(spec.decimals, '0').replace(/0+$/, '');
    if (frac === '') frac = '0';
    return `${int}.${frac}`;
  };
}

function writerFor(f: FieldSpec): Writer {
  switch (f.kind) {
    case 'number':
      return numberWriter(f);
    case 'ssn':
      return (rng) => `"${1 + rng.int(9)}${String(rng.int(1e9)).padStart(9, '0')}"`;
    case 'gender':
      return (rng) => (rng.next() < 0.5 ? '"M"' : '"F"');
    case 'date': {
      const days = Math.round((DATE_TO - DATE_FROM) / DAY_MS) + 1;
      return (rng) => {
        const d = new Date(DATE_FROM + rng.int(days) * DAY_MS);
        return `"${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}"`;
      };
    }
    case 'diagnosis':
      return (rng) => {
        // ICD-10-CM shape: letter, two digits, then 2..4 more characters (digits, X padding, encounter letter)
        let code = DIAG_LETTERS[rng.int(DIAG_LETTERS.length)] + String(rng.int(100)).padStart(2, '0');
        const extra = 2 + rng.int(3);
        if (extra === 4 && rng.next() < 0.6) {
          const digits = 1 + rng.int(3);
          for (let k = 0; k < digits; k++) code += String(rng.int(10));
          code += 'X'.repeat(3 - digits) + DIAG_SUFFIX[rng.int(DIAG_SUFFIX.length)];
        } else {
          for (let k = 0; k < extra; k++) code += String(rng.int(10));
        }
        return `"${code}"`;
      };
  }
}

const WRITERS = FIELDS.map((f) => ({ prefix: `${JSON.stringify(f.name)}:`, write: writerFor(f), cholesterol: f.name === 'cholesterol' }));

/** Yields the file's text in batches of records; `onCholesterol` sees each value in order. */
export function* datasetText(records: number, seed = 1, onCholesterol?: (v: number) => void): Generator<string> {
  const rng = createRng(seed);
  let out = '[';
  for (let r = 0; r < records; r++) {
    out += r === 0 ? '\r\n{\r\n' : ',\r\n{\r\n';
    for (let k = 0; k < WRITERS.length; k++) {
      const w = WRITERS[k];
      const v = w.write(rng);
      if (w.cholesterol && onCholesterol) onCholesterol(Number(v));
      out += k === 0 ? w.prefix + v : `,\r\n${w.prefix}${v}`;
    }
    out += '\r\n}';
    if ((r + 1) % BATCH === 0) {
      yield out;
      out = '';
    }
  }
  yield out + '\r\n]';
}

export function validateGenerateOptions(o: { records: unknown; seed?: unknown }): Required<GenerateOptions> {
  const records = o.records;
  if (typeof records !== 'number' || !Number.isSafeInteger(records) || records < 1) {
    throw new UserError(`--records: must be a positive integer (got ${JSON.stringify(records)}), e.g. --records 20000`);
  }
  const seed = o.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UserError(`--seed: must be an integer from 0 to 4294967295 (got ${JSON.stringify(seed)})`);
  }
  return { records, seed };
}

/** Writes a data set to `path` (streamed; the file is removed again if writing fails). */
export async function generateDataset(path: string, opts: GenerateOptions): Promise<GenerateResult> {
  const { records, seed } = validateGenerateOptions(opts);
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (e) {
    throw new UserError(`--out: cannot create the folder of ${path}: ${(e as Error).message}`);
  }
  const out = createWriteStream(path);
  let sum = 0;
  let bytes = 0;
  try {
    await once(out, 'open');
    for (const text of datasetText(records, seed, (v) => (sum += v))) {
      bytes += Buffer.byteLength(text);
      if (!out.write(text)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (e) {
    out.destroy();
    await rm(path, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new UserError(`--out: cannot write ${path}: ${err.message}`);
  }
  return { path, records, bytes, avgCholesterol: records > 0 ? sum / records : null };
}

/**
 * The scenario's generated data set under <dataDir>/datasets, made once and reused
 * (written to a temporary name and renamed, so a crash never leaves a half file behind).
 */
export async function ensureDatasetFile(s: { dataset: Pick<Scenario['dataset'], 'records' | 'seed'> }, cfg: Pick<InfraConfig, 'dataDir'>): Promise<string> {
  const { records, seed } = s.dataset;
  const path = join(cfg.dataDir, 'datasets', `bloodtests-${records}-seed${seed}.json`);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isFile()) return path;
  const tmp = `${path}.${process.pid}.tmp`;
  await generateDataset(tmp, { records, seed });
  await rename(tmp, path);
  return path;
}
