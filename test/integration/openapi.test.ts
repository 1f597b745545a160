// The running API against its own OpenAPI document: the document it serves is valid, every operation in it
// is served (none answers route_not_found), and real answers, successes and errors alike, validate against
// the schema documented for their status.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { uploadContext } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { startTestStack, uniqueName, type TestStack } from '../support/stack.js';

type Json = Record<string, any>;

describe('the API against its OpenAPI document', () => {
  let stack: TestStack;
  let paths: Record<string, Record<string, Json>>;
  const ajv = new Ajv2020({ strict: false, allErrors: true });

  before(async () => {
    stack = await startTestStack({ worker: false });
    const validator = new Validator();
    const res = await fetch(`${stack.url}/v1/openapi.json`);
    assert.equal(res.status, 200);
    const result = await validator.validate(await res.json());
    assert.deepEqual(result.errors ?? [], [], 'the served document is not valid OpenAPI');
    assert.equal(validator.version, '3.1');
    paths = (validator.resolveRefs() as { paths: typeof paths }).paths;
  });
  after(async () => {
    await stack?.close();
  });

  /** Calls the API and checks the answer against the schema documented for the operation and its status. */
  async function call(method: string, path: string, template: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const op = paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not in the document`);
    const answer = op.responses[String(res.status)] ?? op.responses.default;
    assert.ok(answer, `${method} ${path} answered ${res.status}, which the document does not name`);
    const type = res.headers.get('content-type')?.split(';')[0] ?? '';
    if (type !== 'application/json') return { status: res.status, body: text };
    const schema = answer.content?.['application/json']?.schema;
    assert.ok(schema, `${method} ${path} answered ${res.status} with JSON the document does not describe`);
    const parsed = JSON.parse(text);
    const validate = ajv.compile(schema);
    assert.ok(validate(parsed), `${method} ${path} → ${res.status}: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 2000)}`);
    return { status: res.status, body: parsed };
  }

  it('serves every operation it documents', async () => {
    for (const [template, ops] of Object.entries(paths)) {
      for (const method of Object.keys(ops)) {
        if (method === 'head') continue; // no body to tell a missing route from a missing context
        const path = template.replace(/\{(\w+)\}/g, 'missing');
        const res = await call(method.toUpperCase(), path, template, ['post', 'patch'].includes(method) ? {} : undefined);
        assert.notEqual(res.body?.error?.code, 'route_not_found', `${method.toUpperCase()} ${template} is documented but not served`);
      }
    }
  });

  it('answers runs, their list, cancel and log as documented', async () => {
    const context = (await uploadContext(stack.url, await contextArchive('FROM scratch\n'))).body.digest;
    const submitted = await call('POST', '/v1/runs', '/v1/runs', { context, images: ['openapi-test:v1'], buildArgs: { A: '1' }, secretBuildArgs: { S: 'long-enough-to-mask' } });
    assert.equal(submitted.status, 202);
    const id = submitted.body.id as string;
    assert.equal((await call('GET', `/v1/runs/${id}`, '/v1/runs/{id}')).body.id, id);
    assert.ok((await call('GET', '/v1/runs?top=5&status=queued', '/v1/runs')).body.runs.some((r: Json) => r.id === id));
    assert.equal((await call('POST', `/v1/runs/${id}/cancel`, '/v1/runs/{id}/cancel')).status, 202);
    assert.equal((await call('GET', `/v1/runs/${id}/logs`, '/v1/runs/{id}/logs')).status, 200);
    assert.equal((await call('POST', '/v1/runs', '/v1/runs', { context, unknown: 1 })).status, 400);
  });

  it('answers tasks as documented, and a PATCH keeps the fields it does not give', async () => {
    const name = uniqueName('oa').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 50);
    const created = await call('POST', '/v1/tasks', '/v1/tasks', {
      name,
      context: 'https://git.example.com/org/app.git#main',
      noPush: true,
      prTrigger: true,
      schedules: ['0 3 * * *'],
    });
    assert.equal(created.status, 201);
    const patched = await call('PATCH', `/v1/tasks/${name}`, '/v1/tasks/{name}', { dockerfile: 'build/Dockerfile' });
    assert.equal(patched.body.dockerfile, 'build/Dockerfile');
    assert.equal(patched.body.prTrigger, true);
    assert.deepEqual(patched.body.schedules, ['0 3 * * *']);
    assert.equal(patched.body.noPush, true);
    assert.ok((await call('GET', '/v1/tasks', '/v1/tasks')).body.tasks.some((t: Json) => t.name === name));
    assert.deepEqual((await call('GET', `/v1/tasks/${name}/runs`, '/v1/tasks/{name}/runs')).body, { runs: [] });
    assert.equal((await call('POST', '/v1/tasks', '/v1/tasks', { name, context: 'https://git.example.com/org/app.git', noPush: true })).status, 409);
    assert.equal((await call('DELETE', `/v1/tasks/${name}`, '/v1/tasks/{name}')).status, 204);
  });

  it('answers the graph and rebuilds as documented', async () => {
    assert.equal((await call('GET', '/v1/graph', '/v1/graph')).status, 200);
    assert.equal((await call('GET', '/v1/graph/dependents?image=busybox:1&transitive=1', '/v1/graph/dependents')).status, 200);
    assert.equal((await call('GET', '/v1/rebuilds?top=3', '/v1/rebuilds')).status, 200);
    assert.equal((await call('GET', '/v1/health', '/v1/health')).status, 200);
  });
});
