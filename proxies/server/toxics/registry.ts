/**
 * The toxic registry, looked up by type name (as Toxiproxy's toxics.Register): the API validates
 * new toxics and attribute updates against it, and proxies build each connection's stages from it.
 * The toxics themselves are listed in all.ts, one file each.
 */
import { ApiError } from '../errors.js';
import * as all from './all.js';
import { isObject, parseAttributes, parseToxicity, type Sink, type Stage, type StageHost, type Stream, type ToxicDefinition, type ToxicSpec } from './common.js';

function register(defs: readonly ToxicDefinition[]): ReadonlyMap<string, ToxicDefinition> {
  const map = new Map<string, ToxicDefinition>();
  for (const def of defs) {
    if (map.has(def.type)) throw new Error(`toxic type ${def.type} registered twice`);
    map.set(def.type, def);
  }
  return map;
}

const REGISTRY = register(Object.values(all));

/** The definition of a toxic type; undefined for a type the server does not know. */
export function lookupToxic(type: string): ToxicDefinition | undefined {
  return REGISTRY.get(type);
}

/** Every registered type name. */
export function toxicTypes(): string[] {
  return [...REGISTRY.keys()];
}

/** Builds a new toxic from a POST /toxics body, with Toxiproxy's defaults and error messages. */
export function decodeNewToxic(body: unknown): ToxicSpec {
  if (!isObject(body)) throw new ApiError('bad request body: expected a JSON object', 400);
  const streamRaw = body.stream ?? 'downstream';
  if (typeof streamRaw !== 'string' || !['upstream', 'downstream'].includes(streamRaw.toLowerCase())) {
    throw new ApiError('stream was invalid, can be either upstream or downstream', 400);
  }
  const stream = streamRaw.toLowerCase() as Stream;
  const type = body.type;
  const def = typeof type === 'string' ? lookupToxic(type) : undefined;
  if (!def) throw new ApiError('invalid toxic type', 400);
  if (body.name !== undefined && typeof body.name !== 'string') throw new ApiError('bad request body: name must be a string', 400);
  const name = body.name || `${def.type}_${streamRaw}`;
  const zero = Object.fromEntries(Object.keys(def.attributes).map((k) => [k, 0]));
  return {
    attributes: parseAttributes(def.attributes, body.attributes, zero),
    name,
    type: def.type,
    stream,
    toxicity: parseToxicity(body.toxicity, 1),
  };
}

/** Applies a POST /toxics/<name> body to `current` (what it leaves out stays as it was). */
export function decodeToxicUpdate(current: ToxicSpec, body: unknown): ToxicSpec {
  if (!isObject(body)) throw new ApiError('bad request body: expected a JSON object', 400);
  return {
    ...current,
    attributes: parseAttributes(lookupToxic(current.type)?.attributes ?? {}, body.attributes, current.attributes),
    toxicity: parseToxicity(body.toxicity, current.toxicity),
  };
}

/** The stage applying `spec` to one direction of one connection. */
export function createStage(spec: ToxicSpec, next: Sink, host: StageHost): Stage {
  const def = lookupToxic(spec.type);
  if (!def) throw new Error(`no stage for toxic type ${spec.type}`);
  return def.createStage(spec, next, host);
}
