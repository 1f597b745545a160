// The OpenAPI 3.1 document of the API (GET /v1/openapi.json), made from the operation table and the
// contract's zod schemas: the shapes the routes validate with and answer with are the shapes documented.
import * as z from '../zod-mini.js';
import { ANSWER_SCHEMAS, OPERATIONS, REQUEST_SCHEMAS, type Answer, type Content, type Operation } from './operations.js';

type JsonObject = Record<string, unknown>;
const COMPONENT = '#/components/schemas/';

export function openApiDocument(version: string): JsonObject {
  const { schemas, names } = components();
  const ref = (content: Content, where: string): JsonObject => {
    if (!('schema' in content)) return { schema: content.jsonSchema };
    const name = names.get(content.schema);
    if (!name) throw new Error(`${where}: a schema without a name in ANSWER_SCHEMAS or REQUEST_SCHEMAS`);
    return { schema: { $ref: COMPONENT + name } };
  };
  const contentOf = (list: Content[], where: string) =>
    Object.fromEntries(list.map((c) => ['schema' in c ? 'application/json' : c.contentType, ref(c, where)]));
  const answer = (a: Answer, where: string): JsonObject => ({
    description: a.description,
    ...(a.headers ? { headers: Object.fromEntries(Object.entries(a.headers).map(([h, description]) => [h, { description, schema: { type: 'string' } }])) } : {}),
    ...(a.content ? { content: contentOf(a.content, where) } : {}),
  });

  const paths: Record<string, JsonObject> = {};
  for (const op of OPERATIONS) {
    (paths[op.path] ??= {})[op.method] = {
      operationId: op.id,
      summary: op.summary,
      ...security(op),
      parameters: parameters(op),
      ...(op.body ? { requestBody: { required: true, content: contentOf([op.body], op.id) } } : {}),
      responses: {
        ...Object.fromEntries(Object.entries(op.responses).map(([status, a]) => [status, answer(a, op.id)])),
        default: answer({ description: 'an error: {"error":{"code","message"}}', content: [{ schema: ANSWER_SCHEMAS.ErrorBody! }] }, op.id),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Slipway API',
      version,
      description: 'Builds container images with BuildKit from uploaded contexts, git tasks and base-image changes, and pushes them to a registry.',
    },
    security: [{ apiToken: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiToken: { type: 'http', scheme: 'bearer', description: 'an API token (`slipway token create`); the role each operation needs is in its description' },
        bearer: { type: 'http', scheme: 'bearer', description: "a webhook's own token, configured on the server" },
      },
    },
  };
}

/** The document's default is an API token; public operations and webhooks say otherwise. */
function security(op: Operation): JsonObject {
  if (op.access === 'public' || (op.access === 'webhook' && !op.bearer)) return { security: [] };
  if (op.access === 'webhook') return { security: [{ bearer: [] }] };
  return { description: `Needs a token with the role ${op.access} or above.` };
}

/** Every named schema as a component; answers in their output form, request bodies in their input form (defaults optional). */
function components(): { schemas: Record<string, JsonObject>; names: Map<z.core.$ZodType, string> } {
  const schemas: Record<string, JsonObject> = {};
  const names = new Map<z.core.$ZodType, string>();
  for (const [io, named] of [['output', ANSWER_SCHEMAS], ['input', REQUEST_SCHEMAS]] as const) {
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of Object.entries(named)) {
      registry.add(schema, { id });
      names.set(schema, id);
    }
    const out = z.toJSONSchema(registry, { io, uri: (id) => COMPONENT + id, unrepresentable: 'any' }) as { schemas: Record<string, JsonObject> };
    for (const [id, { $schema: _, $id: __, ...schema }] of Object.entries(out.schemas)) schemas[id] = schema;
  }
  return { schemas, names };
}

/** Path parameters from the path's {names}; query parameters from the query schema's properties. */
function parameters(op: Operation): JsonObject[] {
  const path = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const query: JsonObject[] = [];
  if (op.query) {
    const schema = z.toJSONSchema(op.query, { io: 'input' }) as { properties?: Record<string, JsonObject>; required?: string[] };
    for (const [name, s] of Object.entries(schema.properties ?? {})) query.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
  }
  const headers = (op.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: h.required ?? false, description: h.description, schema: { type: 'string' } }));
  return [...path, ...query, ...headers];
}
