import { z } from 'zod';
import { packageVersion } from '../../cli/version.js';
import { API_BASE, ROUTES, type Method, type RouteSpec } from './spec.js';

/*
 * The OpenAPI 3.1 document of the API, generated from the route specs (spec.ts): the request
 * schemas are the zod schemas the router validates with, turned into JSON Schema 2020-12 (the
 * dialect of OpenAPI 3.1) by zod's toJSONSchema, as the client sends them (io: input). Responses
 * are described in words; every error is {error: string}.
 */

type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  example?: unknown;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required: true; content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Partial<Record<Method, OpenApiOperation>>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** The express path of a route as an OpenAPI path: /api/nodes/{id}. */
export function openApiPath(path: string, base = API_BASE): string {
  return (base + (path === '/' ? '' : path)).replace(/:(\w+)/g, '{$1}');
}

/** A zod schema as JSON Schema, as the client sends it; zod's safe-integer bounds of .int() are left out. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: ({ jsonSchema }) => {
      const s = jsonSchema as JsonSchema;
      if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
      if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
    },
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** The properties of an object schema as parameters, each with its own schema. */
function parametersOf(schema: z.ZodObject, where: 'path' | 'query'): OpenApiParameter[] {
  const json = jsonSchemaOf(schema);
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries((json.properties ?? {}) as Record<string, JsonSchema>).map(([name, prop]) => {
    const { description, example, ...rest } = prop;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      ...(example !== undefined ? { example } : {}),
      schema: rest,
    };
  });
}

const errorRef = { $ref: '#/components/schemas/Error' };

function operationOf(name: string, spec: RouteSpec): OpenApiOperation {
  const parameters = [...(spec.params ? parametersOf(spec.params, 'path') : []), ...(spec.query ? parametersOf(spec.query, 'query') : [])];
  const mediaType = spec.ok.mediaType ?? 'application/json';
  const responses: OpenApiOperation['responses'] = {
    [String(spec.ok.status)]: { description: spec.ok.description, content: { [mediaType]: {} } },
  };
  const error = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });
  if (spec.params || spec.query || spec.body) responses['400'] = error('a parameter or the body is invalid; the message names each bad field');
  if (spec.method !== 'get') responses['401'] = error('the controller has a token (FOGSIM_ADMIN_TOKEN) and the request lacks Authorization: Bearer <token>');
  if (spec.params) responses['404'] = error('no such node, app or event');
  if (spec.conflict) responses['409'] = error(spec.conflict);
  responses['500'] = error('unexpected; the controller log has the details');
  return {
    operationId: name,
    summary: spec.summary,
    ...(parameters.length ? { parameters } : {}),
    ...(spec.body ? { requestBody: { required: true as const, content: { 'application/json': { schema: jsonSchemaOf(spec.body) } } } } : {}),
    responses,
  };
}

/** The document of the given routes (default: every route of the API). */
export function openApiDocument(routes: Record<string, RouteSpec> = ROUTES, base = API_BASE): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const [name, spec] of Object.entries(routes)) {
    (paths[openApiPath(spec.path, base)] ??= {})[spec.method] = operationOf(name, spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'fogsim controller API',
      version: packageVersion(),
      description:
        'The REST API of the fogsim controller (`fogsim up`): the nodes, links, apps, placements, events, feedback, counters, impact vectors and runs of the experiment, and a live stream. Writes (POST, PUT, DELETE) need `Authorization: Bearer <FOGSIM_ADMIN_TOKEN>` when the controller has a token. Errors are JSON `{"error": "..."}`.',
    },
    paths,
    components: { schemas: { Error: { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } } },
  };
}
