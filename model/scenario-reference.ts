import { z } from 'zod';
import { scenarioSchema } from './scenario.js';

/*
 * The scenario reference (docs/scenario.md), generated from the zod schema that validates
 * scenarios, so the reference and the validation cannot drift apart. `npm run docs` writes it;
 * test/model/scenario-reference.test.ts fails when the file is out of date.
 */

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join(' \\| ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.oneOf) return `one of the kinds below`;
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (s.type === 'integer') return 'whole number';
  if (Array.isArray(s.type)) return s.type.join(' or ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' or ');
  return s.type ?? 'any';
}

function range(s: JsonSchema): string {
  // the bounds of a safe integer say nothing to a reader
  if (s.minimum !== undefined && s.minimum <= Number.MIN_SAFE_INTEGER) s = { ...s, minimum: undefined };
  if (s.maximum !== undefined && s.maximum >= Number.MAX_SAFE_INTEGER) s = { ...s, maximum: undefined };
  const lo = s.minimum !== undefined ? `>= ${s.minimum}` : s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : '';
  const hi = s.maximum !== undefined ? `<= ${s.maximum}` : s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : '';
  const items = s.minItems !== undefined ? `at least ${s.minItems} item(s)` : '';
  return [lo, hi, items].filter(Boolean).join(', ');
}

function rows(s: JsonSchema, path: string, out: string[]): void {
  const props = s.type === 'array' && s.items?.properties ? s.items.properties : s.properties;
  if (!props) return;
  const required = new Set((s.type === 'array' ? s.items?.required : s.required) ?? []);
  const prefix = s.type === 'array' ? `${path}[]` : path;
  for (const [name, p] of Object.entries(props)) {
    const here = prefix ? `${prefix}.${name}` : name;
    const dflt = p.default === undefined ? (required.has(name) && !isSection(p) ? 'required' : '') : `\`${JSON.stringify(p.default)}\``;
    out.push(`| \`${here}\` | ${typeOf(p)} | ${range(p)} | ${dflt} | ${(p.description ?? '').replace(/\|/g, '\\|')} |`);
    rows(p, here, out);
    // a union by kind (a timeline step) or generator (topology): each one's fields under `path(kind: K)`
    for (const variant of [...(p.oneOf ?? []), ...(p.anyOf ?? [])]) {
      const by = (['kind', 'generator'] as const).find((f) => variant.properties?.[f]?.const !== undefined);
      if (by) rows(variant, `${here}(${by}: ${String(variant.properties![by]!.const)})`, out);
      // a list or a generator (apps): the fields of both
      else if (p.anyOf && (variant.properties || variant.items?.properties)) rows(variant, here, out);
    }
  }
}

const isSection = (p: JsonSchema) => p.type === 'object' && !!p.properties;

export function scenarioReference(): string {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out = [
    '# Scenario reference',
    '',
    'Generated from the schema in `model/scenario.ts` (`npm run docs`); do not edit by hand.',
    'A scenario is a YAML file; `fogsim validate <file>` checks it and names the path of every problem.',
    'Goals are `{metric, min}` or `{metric, max}` over `responseTime`, `executionTime`, `throughput`,',
    '`latency`, `availability`, `consistency` (see [metrics.md](metrics.md)), combined with `{all: [...]}` and `{any: [...]}`.',
    '',
    '| field | type | range | default | meaning |',
    '|---|---|---|---|---|',
  ];
  rows(schema, '', out);
  return out.join('\n') + '\n';
}
