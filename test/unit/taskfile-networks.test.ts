// Docker's own networks (host, none, bridge, default, container:ID) in a task file: never a declared name, and
// a step joins only the run's networks, `none`, or `host` where the operator allows privileged steps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskFileError } from '../../src/taskfile/errors.js';
import { loadTaskFile, type LoadOptions } from '../../src/taskfile/load.js';

const run = { ID: 'cb7', Registry: '127.0.0.1:5000', RegistryName: '127', Date: '20261125-150000z', OS: 'linux', Architecture: 'amd64', Commit: '', Branch: '', TaskName: '', SharedVolume: '/ws' };
const load = (text: string, opts: Partial<LoadOptions> = {}) => loadTaskFile(text, { file: 'acb.yaml', run, ...opts });
function errorOf(text: string, opts: Partial<LoadOptions> = {}): string | undefined {
  try {
    load(text, opts);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof TaskFileError, String(err));
    return err.message;
  }
}
const declaring = (name: string, stepNetwork = name) => `networks:\n  - name: ${name}\nsteps:\n  - cmd: bb echo hi\n    network: ${JSON.stringify(stepNetwork)}\n`;
const joining = (network: string) => `steps:\n  - cmd: bb echo hi\n    network: ${JSON.stringify(network)}\n`;

describe('task-file networks', () => {
  for (const name of ['host', 'HOST', 'Host', 'none', 'None', 'bridge', 'BRIDGE', 'default']) {
    for (const allowPrivileged of [false, true]) {
      it(`refuses a network declared as ${name} (privileged steps ${allowPrivileged ? 'allowed' : 'refused'})`, () => {
        const message = errorOf(declaring(name), { allowPrivileged });
        assert.match(message ?? '', new RegExp(`^acb\\.yaml:2:11: network ${name} is one of Docker's own networks`, 'm'));
      });
    }
  }

  const steps: [network: string, allowPrivileged: boolean, refused: RegExp | undefined][] = [
    ['host', false, /^acb\.yaml:3:14: the host network is not allowed on this server/m],
    ['host', true, undefined],
    ['HOST', true, /^acb\.yaml:3:14: network HOST is one of Docker's own networks/m],
    ['Host', false, /^acb\.yaml:3:14: network Host is one of Docker's own networks/m],
    ['bridge', true, /^acb\.yaml:3:14: network bridge is one of Docker's own networks/m],
    ['Bridge', false, /network Bridge is one of Docker's own networks/],
    ['default', false, /network default is one of Docker's own networks/],
    ['container:abc123', true, /network container:abc123 is one of Docker's own networks/],
    ['CONTAINER:slipway-api', false, /network CONTAINER:slipway-api is one of Docker's own networks/],
    ['none', false, undefined],
    ['undeclared', false, /network undeclared is not declared under networks/],
  ];
  for (const [network, allowPrivileged, refused] of steps) {
    it(`a step on ${network} is ${refused ? 'refused' : 'allowed'} (privileged steps ${allowPrivileged ? 'allowed' : 'refused'})`, () => {
      const message = errorOf(joining(network), { allowPrivileged, imageAliases: { bb: '127.0.0.1:5000/base/busybox:latest' } });
      if (refused) assert.match(message ?? 'accepted', refused);
      else assert.equal(message, undefined);
    });
  }

  it('a step joins a network the task declares', () => {
    const { task } = load(declaring('build-net'), { imageAliases: { bb: '127.0.0.1:5000/base/busybox:latest' } });
    assert.equal(task.steps[0]!.network, 'build-net');
  });
});
