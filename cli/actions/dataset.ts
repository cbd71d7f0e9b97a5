import { UserError } from '../../model/errors.js';
import { generateDataset } from '../../dataset/generate.js';

export interface GenerateFlags {
  records: string;
  out: string;
  seed: string;
}

/** Parses an integer flag strictly ("12abc", "1e3", "" are refused), naming the flag. */
function intFlag(flag: string, value: string, hint: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UserError(`${flag}: "${value}" is not an integer; ${hint}`);
  return Number(value);
}

export async function generate(flags: GenerateFlags): Promise<void> {
  const records = intFlag('--records', flags.records, 'give a positive integer, e.g. --records 20000');
  const seed = intFlag('--seed', flags.seed, 'give an integer from 0 to 4294967295');
  if (flags.out.trim() === '') throw new UserError('--out: empty path; give the file to write, e.g. --out data/bloodtests.json');
  const t0 = Date.now();
  const r = await generateDataset(flags.out, { records, seed });
  console.log(JSON.stringify({ out: r.path, records: r.records, bytes: r.bytes, seed, avgCholesterol: r.avgCholesterol, ms: Date.now() - t0 }));
}
