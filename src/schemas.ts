// JSON Schemas of the API's payloads, made from the contract's zod schemas the API validates with, so editors
// and other clients can check a request before sending it. `npm run schemas` writes them to task-schemas/;
// the whole API is described by GET /v1/openapi.json (contract/openapi.ts).
import * as z from './zod-mini.js';
import { RunRequest } from './contract/requests.js';

export const PUBLISHED_SCHEMAS: Record<string, z.core.$ZodType> = {
  'run-request.schema.json': RunRequest,
};

export function jsonSchema(name: string, schema: z.core.$ZodType): string {
  const body = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return JSON.stringify({ $id: `urn:slipway:schema:${name.replace(/\.schema\.json$/, "")}`, ...body }, null, 2) + '\n';
}
