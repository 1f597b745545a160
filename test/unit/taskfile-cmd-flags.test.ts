// A cmd step whose text starts with `docker run` flags, as ACR passes them to docker run: each flag Slipway
// understands sets what the step's property would; any other is refused by name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskFileError } from '../../src/taskfile/errors.js';
import { loadTaskFile } from '../../src/taskfile/load.js';
import { overMaximum } from '../../src/taskfile/step-resources.js';

const run = { ID: 'ca1', Registry: '127.0.0.1:5000', RegistryName: '127', Date: '20261125-150000z', OS: 'linux', Architecture: 'amd64', Commit: 'abc', Branch: 'main', TaskName: 'web', SharedVolume: '/ws' };
const step = (cmd: string, extra = '') => loadTaskFile(`version: v1.1.0\nenv: [A=task, B=task]\nsteps:\n  - cmd: ${cmd}\n${extra}`, { file: 'acb.yaml', run }).task.steps[0]!;
const errorOf = (cmd: string): string => {
  try {
    step(cmd);
  } catch (err) {
    assert.ok(err instanceof TaskFileError, String(err));
    return err.message;
  }
  assert.fail('expected a TaskFileError');
};

describe('docker run flags in a cmd step', () => {
  it('reads --rm, -e and -w before the image', () => {
    const s = step('--rm -e X=1 --env=Y=2 -w /src $Registry/base/busybox:latest sh -c "echo hi"');
    assert.deepEqual(s.cmd, { image: '127.0.0.1:5000/base/busybox:latest', args: ['sh', '-c', 'echo hi'] });
    assert.deepEqual(s.env.sort(), ['A=task', 'B=task', 'X=1', 'Y=2']);
    assert.equal(s.workingDirectory, '/src');
  });
  it('a flag wins over the step property and the task env', () => {
    const s = step('-e A=flag -u 1000 --entrypoint sh busybox -c true', '    user: root\n    env: [A=step]\n');
    assert.ok(s.env.includes('A=flag') && !s.env.includes('A=step') && !s.env.includes('A=task'), s.env.join(' '));
    assert.equal(s.user, '1000');
    assert.equal(s.entryPoint, 'sh');
  });
  it('grouped short flags and a detached service with a port', () => {
    const s = step('-itd -p 8080:80 busybox httpd');
    assert.equal(s.detach, true);
    assert.deepEqual(s.ports, ['8080:80']);
    assert.deepEqual(s.cmd, { image: 'busybox', args: ['httpd'] });
  });
  it('flags after the image are the container’s arguments', () => {
    assert.deepEqual(step('busybox ls -la').cmd, { image: 'busybox', args: ['ls', '-la'] });
  });
  it('refuses a flag it does not map, naming it', () => assert.match(errorOf('-v /:/host busybox ls'), /acb\.yaml:4:\d+: cmd: docker run flag -v is not supported/));
  it('refuses a long flag it does not map', () => assert.match(errorOf('--cap-drop CHOWN busybox ls'), /docker run flag --cap-drop is not supported/));
  it('--privileged is held to the server setting as the property is', () => assert.match(errorOf('--privileged busybox ls'), /privileged containers are not allowed on this server/));
  it('--network host is held to the server setting', () => assert.match(errorOf('--network host busybox ls'), /the host network is not allowed on this server/));
  it('a flag without its value', () => assert.match(errorOf('-e'), /docker run flag --env needs a value/));
});

describe('docker run flags asking for resources and capabilities', () => {
  const maximum = { memoryBytes: 1024 * 1024 * 1024, cpus: 2, pids: 500 };
  const limited = (cmd: string) => loadTaskFile(`steps:\n  - cmd: ${cmd}\n`, { file: 'acb.yaml', run, stepLimits: { maximum } }).task.steps[0]!;
  const limitedError = (cmd: string): string => {
    try {
      limited(cmd);
    } catch (err) {
      assert.ok(err instanceof TaskFileError, String(err));
      return err.message;
    }
    assert.fail('expected a TaskFileError');
  };
  it('reads --memory, -m, --cpus and --pids-limit in Docker\'s units', () => {
    assert.deepEqual(limited('--memory 512m --cpus 1.5 --pids-limit 100 busybox true').resources, { memoryBytes: 512 * 1024 * 1024, cpus: 1.5, pids: 100 });
    assert.deepEqual(limited('-m1g busybox true').resources, { memoryBytes: 1024 * 1024 * 1024 });
    assert.deepEqual(limited('--memory=64MiB busybox true').resources, { memoryBytes: 64 * 1024 * 1024 });
    assert.deepEqual(limited('--memory 8388608 busybox true').resources, { memoryBytes: 8 * 1024 * 1024 });
    assert.deepEqual(limited('busybox true').resources, {});
  });
  it('refuses an ask over the maximum, naming the setting', () => {
    assert.match(limitedError('--memory 2g busybox true'), /acb\.yaml:2:\d+: cmd: --memory 2048 MiB is over this server's maximum of 1024 MiB for a step \(SLIPWAY_STEP_MAX_MEMORY_MIB\)/);
    assert.match(limitedError('--cpus 4 busybox true'), /--cpus 4 is over this server's maximum of 2 for a step \(SLIPWAY_STEP_MAX_CPUS\)/);
    assert.match(limitedError('--pids-limit 501 busybox true'), /--pids-limit 501 is over this server's maximum of 500 processes for a step \(SLIPWAY_STEP_MAX_PIDS\)/);
    assert.match(limitedError('--pids-limit -1 busybox true'), /--pids-limit without a limit is over this server's maximum/);
    assert.match(limitedError('--pids-limit 0 busybox true'), /--pids-limit without a limit is over this server's maximum/);
  });
  it('a value meaning "no limit" to Docker is over any maximum, however it reached the check', () => {
    for (const ask of [{ memoryBytes: 0 }, { cpus: 0 }, { pids: 0 }, { pids: -1 }, { memoryBytes: NaN }, { cpus: -2 }]) {
      assert.equal(overMaximum(ask, maximum).length, 1, JSON.stringify(ask));
    }
    assert.deepEqual(overMaximum({ memoryBytes: 512 * 1024 * 1024, cpus: 0.5, pids: 10 }, maximum), []);
  });
  it('an ask exactly at the maximum is allowed', () => assert.deepEqual(limited('--memory 1g --cpus 2 --pids-limit 500 busybox true').resources, { memoryBytes: 1024 * 1024 * 1024, cpus: 2, pids: 500 }));
  it('refuses values Docker would refuse, before anything runs', () => {
    assert.match(errorOf('--memory lots busybox true'), /--memory lots: expected a size such as 512m or 2g/);
    assert.match(errorOf('--memory 1m busybox true'), /--memory 1m: a container needs at least 6 MiB/);
    assert.match(errorOf('--cpus 0 busybox true'), /--cpus 0: expected a number of CPUs/);
    assert.match(errorOf('--cpus -1 busybox true'), /--cpus -1: expected a number of CPUs/);
    assert.match(errorOf('--pids-limit many busybox true'), /--pids-limit many: expected a number of processes/);
  });
  it('gives back Docker\'s default capabilities by any of their spellings', () => {
    assert.deepEqual(step('--cap-add CHOWN --cap-add=cap_net_raw --cap-add chown busybox true').capAdd, ['CHOWN', 'NET_RAW']);
  });
  for (const cap of ['SYS_ADMIN', 'NET_ADMIN', 'SYS_PTRACE', 'CAP_SYS_MODULE', 'BPF']) {
    it(`refuses --cap-add ${cap}, outside Docker's defaults`, () => assert.match(errorOf(`--cap-add ${cap} busybox true`), new RegExp(`--cap-add ${cap} is not allowed: a step may ask back only Docker's default capabilities \\(AUDIT_WRITE, CHOWN`)));
  }
  it('refuses --cap-add ALL', () => assert.match(errorOf('--cap-add ALL busybox true'), /--cap-add ALL is not allowed/));
  it('refuses --cap-add without a value', () => assert.match(errorOf('--cap-add'), /docker run flag --cap-add needs a value/));
});

describe('a cmd that probably expects a shell', () => {
  const warningsOf = (cmd: string) => loadTaskFile(`steps:\n  - cmd: ${cmd}\n`, { file: 'acb.yaml', run }).warnings;
  const cases: [string, string | undefined][] = [
    ['busybox echo hi > /dev/null', '>'],
    ['busybox test -f x || echo missing', '||'],
    ['busybox true && echo yes', '&&'],
    ['busybox echo a 2>&1', '2>&1'],
    ['busybox echo $(date)', '$(date)'],
    ['busybox cat x | wc -l', '|'],
    // Quoted for the image's own shell: nothing to warn about.
    ["busybox sh -c 'echo hi > /dev/null || true'", undefined],
    ['busybox echo "a > b"', undefined],
    ['busybox echo hi', undefined],
  ];
  for (const [cmd, word] of cases) {
    it(`${cmd} → ${word ?? 'no warning'}`, () => {
      const warnings = warningsOf(cmd);
      if (word === undefined) assert.deepEqual(warnings, []);
      else assert.match(warnings.join('\n'), new RegExp(`^2:\\d+: cmd has ${JSON.stringify(word).replace(/[|$()]/g, '\\$&')}, which a shell would read; ACR runs a cmd without a shell`));
    });
  }
});
