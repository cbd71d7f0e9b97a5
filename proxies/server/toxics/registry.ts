/**
 * The toxic registry, looked up by type name (as Toxiproxy's toxics.Register): the API validates
 * new toxics and attribute updates against it, and proxies build each connection's stages from it.
 * The toxics themselves are listed in all.ts, one file each.
 */
import { ApiError, toxicExists } from '../errors.js';
import * as all from './all.js';
import { goTypeError, isObject, parseAttributes, parseToxicity, type Sink, type Stage, type StageHost, type ToxicDefinition, type ToxicSpec } from './common.js';

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

/**
 * Builds a new toxic from a POST /toxics body, with Toxiproxy's defaults, checks in its order
 * (field types, stream, type, `exists` for a taken name: 409, then the attributes) and messages.
 */
export function decodeNewToxic(body: unknown, exists: (name: string) => boolean = () => false): ToxicSpec {
  if (!isObject(body)) throw new ApiError('bad request body: expected a JSON object', 400);
  // the first decode, into Toxiproxy's ToxicWrapper: the JSON types of its own fields
  for (const k of ['name', 'type', 'stream'] as const) {
    if (body[k] !== undefined && body[k] !== null && typeof body[k] !== 'string') throw goTypeError(body[k], `ToxicWrapper.${k}`, 'string');
  }
  const toxicity = parseToxicity(body.toxicity, 1);
  if (body.attributes !== undefined && body.attributes !== null && !isObject(body.attributes)) throw goTypeError(body.attributes, 'ToxicWrapper.attributes', 'toxics.NoopToxic');
  const stream = (body.stream as string | null | undefined) || 'downstream';
  if (!['upstream', 'downstream'].includes(stream.toLowerCase())) throw new ApiError('stream was invalid, can be either upstream or downstream', 400);
  const type = body.type;
  const def = typeof type === 'string' ? lookupToxic(type) : undefined;
  if (!def) throw new ApiError('invalid toxic type', 400);
  const name = (body.name as string | null | undefined) || `${def.type}_${stream}`;
  if (exists(name)) throw toxicExists();
  const zero = Object.fromEntries(Object.keys(def.attributes).map((k) => [k, 0]));
  return {
    attributes: parseAttributes(def.attributes, body.attributes, zero, def.goName),
    name,
    type: def.type,
    stream,
    toxicity,
  };
}

/** Applies a POST /toxics/<name> body to `current` (what it leaves out stays as it was). */
export function decodeToxicUpdate(current: ToxicSpec, body: unknown): ToxicSpec {
  if (!isObject(body)) throw new ApiError('bad request body: expected a JSON object', 400);
  const def = lookupToxic(current.type);
  // Toxiproxy decodes an update into an anonymous struct around the toxic: its fields are ".attributes", ".toxicity"
  if (body.attributes !== undefined && body.attributes !== null && !isObject(body.attributes)) throw goTypeError(body.attributes, '.attributes', `toxics.${def?.goName ?? 'Toxic'}`);
  return {
    ...current,
    attributes: parseAttributes(def?.attributes ?? {}, body.attributes, current.attributes, def?.goName),
    toxicity: parseToxicity(body.toxicity, current.toxicity, '.toxicity'),
  };
}

/** The stage applying `spec` to one direction of one connection. */
export function createStage(spec: ToxicSpec, next: Sink, host: StageHost): Stage {
  const def = lookupToxic(spec.type);
  if (!def) throw new Error(`no stage for toxic type ${spec.type}`);
  return def.createStage(spec, next, host);
}
