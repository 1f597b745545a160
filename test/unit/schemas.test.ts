import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
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
    for (const service of ['api', 'worker']) {
      const entry = compose.services[service].command[1].replace(/^dist\//, '').replace(/\.js$/, '.ts');
      await fs.access(new URL(`../../${entry}`, import.meta.url));
    }
  });
});
