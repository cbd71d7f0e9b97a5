/**
 * The message sources of scenario `workloads[].source` (stream/workload/source.ts):
 *   bloodtests: the scenario's data set, record by record as compact JSON, cycling when it ends;
 *   module:     a user's simulation in cadCAD's shape (stream/workload/cadcad.ts), seeded by the scenario's seed;
 *   csv:        a CSV file row by row as JSON objects (the header row names the fields, numbers parsed), cycling.
 * Every problem is a UserError naming the field (`workloads[0].source.file`) and the fix.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolveFrom } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../../model/errors.js';
import type { WorkloadSpec } from '../../model/scenario.js';
import type { StreamMessage } from '../bus.js';
import { createCadcadSource, loadCadcadModule } from './cadcad.js';
import { csvValue, CsvSyntaxError, parseCsv } from './csv.js';
import type { MessageSource } from './source.js';

export interface SourceContext {
  /** the data set file (JSON array, plain or gzip) the bloodtests source replays */
  datasetFile: string;
  /** what the error messages name the workload by, e.g. `workloads[0]` */
  origin: string;
  /** the folder paths are relative to: the scenario file's (strategyBaseDir); default the working directory */
  baseDir?: string;
  /** the scenario's seed: a module's Monte Carlo run r is seeded runSeed(seed, r) */
  seed?: number;
}

/** Opens the source of one workload (a module is imported, and one trial timestep run, here). */
export async function openSource(spec: Pick<WorkloadSpec, 'source' | 'key'>, ctx: SourceContext): Promise<MessageSource> {
  const src = spec.source;
  switch (src.kind) {
    case 'bloodtests':
      return bloodtestsSource(readRecords(ctx.datasetFile, ctx.origin), spec.key, ctx.origin);
    case 'module': {
      const mod = await loadCadcadModule(src.path, ctx.baseDir ?? process.cwd(), { field: `${ctx.origin}.source.path`, trial: { params: src.params } });
      return createCadcadSource({ module: mod, params: src.params, seed: ctx.seed ?? 1, runs: src.runs });
    }
    case 'csv': {
      const file = resolvePath(ctx.baseDir, src.file);
      return csvSource(readCsvRecords(file, `${ctx.origin}.source.file`), src.key ?? spec.key, `${ctx.origin}.source`);
    }
  }
}

function resolvePath(baseDir: string | undefined, path: string): string {
  return resolveFrom(baseDir ?? process.cwd(), path);
}

/**
 * The rows of a CSV file as records: the header row names the fields, a field that reads as a
 * number is one. A file that cannot be read, has no header or no rows, or a row whose field count
 * is not the header's, is a UserError naming `field`, the line and the fix.
 */
export function readCsvRecords(file: string, field: string): Record<string, string | number>[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${field}: cannot read the CSV file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; fix the path (it is relative to the scenario file)`);
  }
  let rows;
  try {
    rows = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw new UserError(`${field}: ${file} ${e.message}`);
    throw e;
  }
  if (rows.length === 0) throw new UserError(`${field}: the CSV file ${file} is empty; give a header row naming the fields and at least one row`);
  const header = rows[0].fields.map((h) => h.trim());
  const blank = header.findIndex((h) => h === '');
  if (blank >= 0) throw new UserError(`${field}: ${file} line ${rows[0].line}: header column ${blank + 1} has no name; name every column in the first row`);
  const dup = header.find((h, k) => header.indexOf(h) !== k);
  if (dup !== undefined) throw new UserError(`${field}: ${file} line ${rows[0].line}: the header names column ${JSON.stringify(dup)} twice; give each column its own name`);
  if (rows.length === 1) throw new UserError(`${field}: the CSV file ${file} has a header row and no rows; add at least one row of values`);
  return rows.slice(1).map((r) => {
    if (r.fields.length !== header.length) {
      throw new UserError(`${field}: ${file} line ${r.line} has ${r.fields.length} field(s), the header ${header.length} (${header.join(', ')}); give every row one value per column (quote a value that holds a comma)`);
    }
    const rec: Record<string, string | number> = {};
    header.forEach((h, k) => (rec[h] = csvValue(r.fields[k])));
    return rec;
  });
}

/** The rows in order as JSON objects, cycling; keyed by the `key` column's value when given. */
export function csvSource(records: readonly Record<string, unknown>[], key: string | undefined, origin = 'workload.source'): MessageSource {
  if (key !== undefined && !(key in records[0])) throw new UserError(`${origin}.key: the CSV file has no column ${JSON.stringify(key)}; use one of ${Object.keys(records[0]).slice(0, 8).join(', ')} or leave key out`);
  return bloodtestsSource(records, key, origin);
}

function readRecords(file: string, origin: string): Record<string, unknown>[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UserError(`${origin}.source: cannot read the data set ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check dataset.file or let fogsim generate it (dataset.records)`);
  }
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${origin}.source: the data set ${file} is not JSON (${(e as Error).message}); give a JSON array of records`);
  }
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((r) => !r || typeof r !== 'object')) throw new UserError(`${origin}.source: the data set ${file} is not a non-empty JSON array of records`);
  return raw as Record<string, unknown>[];
}

/** The records in order, cycling; each message's value is the record's JSON, its key the `key` field's value when given. */
export function bloodtestsSource(records: readonly Record<string, unknown>[], key: string | undefined, origin = 'workload'): MessageSource {
  if (key !== undefined && !(key in records[0])) throw new UserError(`${origin}.key: the records have no field ${JSON.stringify(key)}; use one of ${Object.keys(records[0]).slice(0, 8).join(', ')}, ... or leave key out`);
  // serialised once: a source replays the same records many times over
  const values = records.map((r) => JSON.stringify(r));
  const keys = key === undefined ? undefined : records.map((r) => String(r[key]));
  let i = 0;
  return {
    next(n: number, nowMs: number): StreamMessage[] {
      const out = new Array<StreamMessage>(n);
      for (let k = 0; k < n; k++) {
        out[k] = keys ? { key: keys[i], value: values[i], timestampMs: nowMs } : { value: values[i], timestampMs: nowMs };
        i = (i + 1) % values.length;
      }
      return out;
    },
  };
}
