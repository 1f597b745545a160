// `slipway graph notify` about an image on a registry that refuses the server: the API answers 502 naming the
// registry's refusal, never 401, which a client takes for its own bad Slipway token. A real registry that
// needs a login (htpasswd), with no login for it on the server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asGatewayError } from '../../src/api/routes/graph.js';
import { RegistryError } from '../../src/registry/errors.js';
import { apiFetch } from '../support/api.js';
import { startAuthRegistry, type AuthRegistry } from '../support/auth-registry.js';
import { BASE_IMAGE, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

describe('graph notify when the registry refuses', () => {
  let registry: AuthRegistry;
  let stack: TestStack;
  before(async () => {
    registry = await startAuthRegistry('ci-bot', `pw-${uniqueName('notify')}`);
    await registry.copyFrom(BASE_IMAGE, `${registry.host}/private/busybox:amd64`);
    // The registry is on the loopback, which registries reach only when the operator allows private hosts.
    stack = await startTestStack({ worker: false, env: { SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1' } });
  });
  after(async () => {
    await stack?.close();
    await registry?.stop();
  });

  it("answers 502 with the registry's code and what to do, while the client's own token stays good", async () => {
    const res = await apiFetch(`${stack.url}/v1/graph/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: `${registry.host}/private/busybox:amd64` }),
    });
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(res.status, 502, JSON.stringify(body));
    assert.equal(body.error.code, 'registry_unauthorized');
    assert.ok(body.error.message.includes(`slipway registry login ${registry.host}`), body.error.message);
    assert.ok(!body.error.message.includes(registry.password));
    // The same token still works: the refusal was the registry's.
    assert.equal((await apiFetch(`${stack.url}/v1/graph`)).status, 200);
    // And the API's registry requests show the refusal, by host and status class.
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    const refused = metrics
      .split('\n')
      .filter((l) => l.startsWith('slipway_registry_request_duration_seconds_count{') && l.includes(`host="${registry.host}"`) && l.includes('code="4xx"'))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    assert.ok(refused >= 1, metrics.split('\n').filter((l) => l.startsWith('slipway_registry_request_duration_seconds_count')).join('\n'));
  });
});

describe('registry answers as API statuses', () => {
  const cases: [number, number, string][] = [
    [401, 502, 'registry_unauthorized'],
    [403, 502, 'registry_denied'],
    [404, 404, 'registry_not_found'],
    [429, 503, 'registry_rate_limited'],
    [500, 502, 'registry_unavailable'],
    [503, 503, 'registry_unavailable'],
  ];
  for (const [from, to, code] of cases) {
    it(`a registry's ${from} is our ${to}`, () => {
      const err = asGatewayError(new RegistryError({ status: from, registry: 'r.example', operation: 'getManifest', message: 'getManifest r.example/x: HTTP' })) as RegistryError;
      assert.deepEqual([err.status, err.code], [to, code]);
    });
  }
});
