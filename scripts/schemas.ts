// Writes the API payload schemas to task-schemas/ (see src/schemas.ts).
import fs from 'node:fs/promises';
import { jsonSchema, PUBLISHED_SCHEMAS } from '../src/schemas.js';
import { TASK_FILE_SCHEMAS } from '../src/taskfile/json-schema.js';

for (const [name, schema] of Object.entries({ ...PUBLISHED_SCHEMAS, ...TASK_FILE_SCHEMAS })) {
  await fs.writeFile(new URL(`../task-schemas/${name}`, import.meta.url), jsonSchema(name, schema));
  console.error(`schemas: wrote task-schemas/${name}`);
}
