/**
 * The built-in message sources of scenario `workloads[].source` (stream/workload/source.ts).
 * `bloodtests`: the scenario's data set, record by record as compact JSON, cycling when it ends.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../../model/errors.js';
import type { WorkloadSpec } from '../../model/scenario.js';
import type { StreamMessage } from '../bus.js';
import type { MessageSource } from './source.js';

export interface SourceContext {
  /** the data set file (JSON array, plain or gzip) the bloodtests source replays */
  datasetFile: string;
  /** what the error messages name the workload by, e.g. `workloads[0]` */
  origin: string;
}

/** Opens the source of one workload. */
export function openSource(spec: Pick<WorkloadSpec, 'source' | 'key'>, ctx: SourceContext): MessageSource {
  switch (spec.source.kind) {
    case 'bloodtests':
      return bloodtestsSource(readRecords(ctx.datasetFile, ctx.origin), spec.key, ctx.origin);
  }
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
