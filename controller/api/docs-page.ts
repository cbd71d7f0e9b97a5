import type { OpenApiDocument, OpenApiOperation } from './openapi.js';

/*
 * The OpenAPI document as one self-contained HTML page (no script, no CDN: it works offline):
 * an index of the routes, then each route with its parameters, its body and its answers.
 */

type JsonSchema = Record<string, unknown>;

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A schema in a few words: integer 1..9999, one of "asc", "desc", string (1-100 characters), ... */
export function schemaInWords(s: JsonSchema | undefined): string {
  if (!s || Object.keys(s).length === 0) return 'any JSON value';
  const parts: string[] = [];
  if (Array.isArray(s.enum)) parts.push(`one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  else if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
    parts.push(`object of ${schemaInWords(s.additionalProperties as JsonSchema)}`);
  } else if (s.type !== undefined) parts.push(String(s.type));
  else if (Array.isArray(s.anyOf)) parts.push((s.anyOf as JsonSchema[]).map(schemaInWords).join(' or '));
  else if (Array.isArray(s.oneOf)) {
    // a union by kind (a timeline step): name the kinds
    const kinds = (s.oneOf as JsonSchema[]).map((v) => ((v.properties as Record<string, JsonSchema> | undefined)?.kind?.const as string | undefined));
    parts.push(kinds.every((k) => k !== undefined) ? `object with kind one of ${kinds.map((k) => JSON.stringify(k)).join(', ')}` : (s.oneOf as JsonSchema[]).map(schemaInWords).join(' or '));
  }
  const min = s.minimum ?? s.exclusiveMinimum;
  const max = s.maximum ?? s.exclusiveMaximum;
  if (min !== undefined && max !== undefined) parts.push(`${String(min)} to ${String(max)}`);
  else if (min !== undefined) parts.push(`${s.exclusiveMinimum !== undefined ? '>' : '>='} ${String(min)}`);
  else if (max !== undefined) parts.push(`${s.exclusiveMaximum !== undefined ? '<' : '<='} ${String(max)}`);
  if (s.minLength !== undefined || s.maxLength !== undefined) parts.push(`${String(s.minLength ?? 0)}-${String(s.maxLength ?? '')} characters`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join(', ');
}

function parametersTable(op: OpenApiOperation): string {
  if (!op.parameters?.length) return '';
  const rows = op.parameters
    .map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td>${esc(schemaInWords(p.schema))}</td><td>${esc(p.description ?? '')}</td></tr>`)
    .join('');
  return `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function bodySection(op: OpenApiOperation): string {
  const schema = op.requestBody?.content['application/json'].schema;
  if (!schema) return '';
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(props)
    .map(([name, p]) => `<tr><td><code>${esc(name)}</code></td><td>${required.has(name) ? 'yes' : 'no'}</td><td>${esc(schemaInWords(p))}</td><td>${esc(p.description ?? '')}</td></tr>`)
    .join('');
  const closed = schema.additionalProperties === false ? '<p>No other fields are accepted.</p>' : '';
  const note = typeof schema.description === 'string' ? `<p>${esc(schema.description)}</p>` : '';
  return (
    `<h4>Body (application/json)</h4>${note}<table><thead><tr><th>field</th><th>required</th><th>schema</th><th>description</th></tr></thead><tbody>${rows}</tbody></table>${closed}` +
    `<details><summary>JSON Schema</summary><pre>${esc(JSON.stringify(schema, null, 2))}</pre></details>`
  );
}

function responsesList(op: OpenApiOperation): string {
  const items = Object.entries(op.responses)
    .map(([status, r]) => `<li><b>${esc(status)}</b> ${r.content ? `<code>${esc(Object.keys(r.content).join(', '))}</code> ` : ''}${esc(r.description)}</li>`)
    .join('');
  return `<h4>Answers</h4><ul>${items}</ul>`;
}

export function renderDocsPage(doc: OpenApiDocument, documentUrl: string): string {
  const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, op]) => ({ path, method, op: op! })));
  const index = ops
    .map(({ path, method, op }) => `<tr><td><span class="m ${method}">${method.toUpperCase()}</span></td><td><a href="#${esc(op.operationId)}"><code>${esc(path)}</code></a></td><td>${esc(op.summary)}</td></tr>`)
    .join('');
  const sections = ops
    .map(
      ({ path, method, op }) =>
        `<section id="${esc(op.operationId)}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3><p>${esc(op.summary)}</p>${parametersTable(op)}${bodySection(op)}${responsesList(op)}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} ${esc(doc.info.version)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 2rem 4rem; color: #1d2330; }
h1 { margin-bottom: .2rem; } h3 { margin: 0 0 .3rem; } h4 { margin: .9rem 0 .3rem; font-size: .95rem; }
section { border-top: 1px solid #d7dce5; padding: 1.2rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .25rem .6rem .25rem 0; border-bottom: 1px solid #eceff4; vertical-align: top; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
pre { background: #f5f7fa; padding: .6rem; overflow-x: auto; }
.m { display: inline-block; min-width: 3.2rem; text-align: center; border-radius: 3px; color: #fff; font-size: .8rem; font-weight: 600; padding: 0 .3rem; }
.get { background: #2f6fb5; } .post { background: #2e8b57; } .put { background: #b7791f; } .delete { background: #b83232; }
a { color: #2f6fb5; }
</style>
</head>
<body>
<h1>${esc(doc.info.title)}</h1>
<p>Version ${esc(doc.info.version)} · OpenAPI ${esc(doc.openapi)} document: <a href="${esc(documentUrl)}">${esc(documentUrl)}</a></p>
<p>${esc(doc.info.description)}</p>
<h2>Routes</h2>
<table><tbody>${index}</tbody></table>
<h2>Reference</h2>
${sections}
</body>
</html>
`;
}
