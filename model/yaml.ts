import { load, CORE_SCHEMA, YAMLException } from 'js-yaml';

/*
 * The one reader of YAML text for scenarios, their --set values and sweep grids. js-yaml with its
 * core schema (numbers, booleans, null; no timestamps or merge keys, so `2026-12-03` stays a
 * string): 12x faster than the `yaml` package on a 22 MB scenario of 1,000 nodes and 499,500
 * links (bench/RESULTS.md). Aliases are shared, not copied, so a few lines can name billions of
 * values: the expanded size is counted before anyone walks the value.
 */

/** Values a document may expand to through its aliases (a 10,000-node scenario written out is ~60 M). */
export const MAX_EXPANDED_VALUES = 200_000_000;

export class YamlError extends Error {
  constructor(
    message: string,
    /** 1-based, when known */
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/** Parses YAML text; a syntax error is a YamlError naming the line and column, an alias bomb one naming its size. */
export function readYaml(text: string): unknown {
  let value: unknown;
  try {
    value = load(text, { schema: CORE_SCHEMA });
  } catch (e) {
    if (!(e instanceof YAMLException)) throw e;
    const m = e.mark;
    throw new YamlError(e.reason || e.message.split('\n')[0], m ? m.line + 1 : undefined, m ? m.column + 1 : undefined);
  }
  const size = expandedSize(value, MAX_EXPANDED_VALUES);
  if (size > MAX_EXPANDED_VALUES) throw new YamlError(`its aliases expand it to more than ${MAX_EXPANDED_VALUES.toLocaleString('en-US')} values; write the values out or use fewer aliases`);
  return value;
}

/** How many values `v` holds counting shared ones each time they appear, stopping past `limit`. */
function expandedSize(root: unknown, limit: number): number {
  // a shared map or list is counted once per appearance: its size is remembered, not walked again
  const sizes = new Map<object, number>();
  const size = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1;
    const known = sizes.get(v);
    if (known !== undefined) return known;
    sizes.set(v, Infinity); // an alias inside its own anchor would loop: count it as too big
    let n = 1;
    for (const x of Array.isArray(v) ? v : Object.values(v)) {
      n += size(x);
      if (n > limit) break;
    }
    sizes.set(v, n);
    return n;
  };
  return size(root);
}
