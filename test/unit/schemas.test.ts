import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { SERVER_BUNDLES } from '../../scripts/bundle-server.js';
import { jsonSchema, PUBLISHED_SCHEMAS } from '../../src/schemas.js';
import { TASK_FILE_SCHEMAS } from '../../src/taskfile/json-schema.js';

describe('published schemas and compose file', () => {
  for (const [name, schema] of Object.entries({ ...PUBLISHED_SCHEMAS, ...TASK_FILE_SCHEMAS })) {
    it(`task-schemas/${name} matches the schema the API validates with (run npm run schemas after a change)`, async () => {
      const committed = await fs.readFile(new URL(`../../task-schemas/${name}`, import.meta.url), 'utf8');
      assert.equal(committed, jsonSchema(name, schema));
    });
  }

  it('docker-compose.yml runs the same entry points the scripts run', async () => {
    const compose = parse(await fs.readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8'));
    assert.deepEqual(Object.keys(compose.services).sort(), ['api', 'redis', 'registry', 'worker']);
    // Each a bundle `npm run build` makes, of the entry point the tests start.
    assert.equal(compose.services.api.command[1], SERVER_BUNDLES['src/api/main.ts']);
    assert.equal(compose.services.worker.command[1], SERVER_BUNDLES['workers/main.ts']);
  });
});
