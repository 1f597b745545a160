// A task file cannot put a step on the host's network, and a step on the run's own network reaches none of
// the host's services: Redis (every queued job's secrets), the registry and the API, on every address the
// container can see.
import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import type { Run } from '../../src/runs/model.js';
import { apiFetch, runLog, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { REGISTRY, uniqueName } from '../support/stack.js';
import { withGitStack } from '../support/with-stack.js';

const BUSYBOX = `${REGISTRY}/base/busybox:latest`;
const HOSTILE = `version: v1.1.0
networks:
  - name: host
steps:
  - cmd: ${BUSYBOX} true
    network: host
`;

describe('step networks', () => {
  const live = withGitStack();

  it('refuses the host network at submit, at its line and column', async () => {
    const res = await submit(live.stack.url, await contextArchive('FROM scratch\n', { 'acb.yaml': HOSTILE }), { taskFile: 'acb.yaml' });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.error.message, /acb\.yaml:3:11: network host is one of Docker's own networks/);
    assert.match(res.body.error.message, /acb\.yaml:6:14: the host network is not allowed/);
  });

  it('the worker checks a task file from git again: a commit that asks for the host network fails the run', async () => {
    await live.git.createRepo('net');
    await live.git.commit('net', { 'acb.yaml': `version: v1.1.0\nsteps:\n  - cmd: ${BUSYBOX} true\n` }, 'fine');
    const name = uniqueName('nettask');
    const created = await apiFetch(`${live.stack.url}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, context: `${live.git.httpUrl('net')}#main`, dockerfile: 'acb.yaml', commitTrigger: false }) });
    assert.equal(created.status, 201, await created.text());
    await live.git.commit('net', { 'acb.yaml': HOSTILE }, 'host network');
    const started = await apiFetch(`${live.stack.url}/v1/tasks/${name}/runs`, { method: 'POST' });
    const run = (await waitForRun(live.stack.url, ((await started.json()) as Run).id)) as unknown as Run;
    assert.notEqual(run.status, 'succeeded');
    assert.match(`${run.error}\n${await runLog(live.stack.url, run.id)}`, /network host is one of Docker's own networks/);
  });

  it("a step reaches neither Redis, the registry nor the API on any of the host's addresses", async () => {
    const hostAddresses = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a?.family === 'IPv4')
      .map((a) => a!.address);
    const apiPort = new URL(live.stack.url).port;
    // The default gateway is the bridge the run's network hangs off: the host itself, seen from the step.
    const probe = `gw=$(ip route | awk '/^default/ {print $3}')
for a in $gw 127.0.0.1 ${hostAddresses.join(' ')}; do
  for p in 6379 5000 ${apiPort}; do
    if [ "$p" = 6379 ]; then req='PING\\r\\n'; else req='GET /v2/ HTTP/1.0\\r\\n\\r\\n'; fi
    out=$(printf "$req" | timeout 5 nc -w 3 "$a" "$p" 2>&1 | head -c 200 | tr -d '\\r\\n')
    echo "probe $a:$p [$out]"
  done
done
echo "gateway=$gw"
`;
    const taskFile = `version: v1.1.0\nsteps:\n  - cmd: ${BUSYBOX} sh probe.sh\n`;
    const res = await submit(live.stack.url, await contextArchive('FROM scratch\n', { 'acb.yaml': taskFile, 'probe.sh': probe }), { taskFile: 'acb.yaml' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = (await waitForRun(live.stack.url, res.body.id)) as unknown as Run;
    const log = await runLog(live.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    const gateway = log.match(/gateway=(\d+\.\d+\.\d+\.\d+)/)?.[1];
    assert.ok(gateway, `the step found its gateway:\n${log}`);
    const probes = [...log.matchAll(/probe (\S+):(\d+) \[(.*)\]/g)];
    assert.equal(probes.length, 3 * (2 + hostAddresses.length), log);
    for (const [, address, port, answer] of probes) {
      assert.doesNotMatch(answer!, /PONG|HTTP\/|NOAUTH|ERR/, `${address}:${port} answered from inside a step`);
    }
  });
});
