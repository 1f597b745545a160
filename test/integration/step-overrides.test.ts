// A task file's cmd step asking, with docker run flags, for other limits than the server's defaults and for
// capabilities back, through the API and a worker on the real Engine: within the server's maximum it gets
// what it asked (read from inside the container, as the kernel holds it); above it, or asking for a
// capability outside Docker's defaults or for a privileged container, the run is refused when submitted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLog, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { REGISTRY } from '../support/stack.js';
import { withStack } from '../support/with-stack.js';

const BUSYBOX = `${REGISTRY}/base/busybox:latest`;
const MIB = 1024 * 1024;

/** Submits a one-step task file whose cmd is `cmd`. */
async function submitStep(url: string, cmd: string) {
  const taskFile = `version: v1.1.0\nsteps:\n  - id: probe\n    cmd: ${cmd}\n`;
  return submit(url, await contextArchive('FROM scratch\n', { 'acb.yaml': taskFile }), { taskFile: 'acb.yaml', noPush: true });
}

// cgroup v2 files first, then v1's, so the probe reads the limit whichever the host runs.
const PROBE = [
  'echo memory=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)',
  'echo pids=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)',
  'echo cpu=$(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us))',
  'touch f && chown 1234 f && echo chown-worked || echo chown-refused',
].join('; ');

describe('a step asking for its own limits and capabilities', () => {
  const s = withStack({
    env: { SLIPWAY_STEP_MEMORY_MIB: '64', SLIPWAY_STEP_MAX_MEMORY_MIB: '256', SLIPWAY_STEP_PIDS: '1024', SLIPWAY_STEP_MAX_PIDS: '2048', SLIPWAY_STEP_CPUS: '1', SLIPWAY_STEP_MAX_CPUS: '1' },
  });

  it('gets more memory and processes, fewer CPUs and CHOWN back, within the maximum', async () => {
    const res = await submitStep(s.stack.url, `--memory 192m --pids-limit 1500 --cpus 0.5 --cap-add CHOWN ${BUSYBOX} sh -c '${PROBE}'`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = await waitForRun(s.stack.url, res.body.id);
    const log = await runLog(s.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.match(log, new RegExp(`\\[probe\\] memory=${192 * MIB}\\n`));
    assert.match(log, /\[probe\] pids=1500\n/);
    // Half a CPU: a quota of half the period, as cgroup v2 (`50000 100000`) and v1 both put it.
    assert.match(log, /\[probe\] cpu=50000 100000\n/);
    assert.match(log, /\[probe\] chown-worked/);
  });

  it('without asking, a step gets the defaults and cannot chown', async () => {
    const res = await submitStep(s.stack.url, `${BUSYBOX} sh -c '${PROBE}'`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = await waitForRun(s.stack.url, res.body.id);
    const log = await runLog(s.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.match(log, new RegExp(`\\[probe\\] memory=${64 * MIB}\\n`));
    assert.match(log, /\[probe\] pids=1024\n/);
    assert.match(log, /\[probe\] chown-refused/);
  });

  const refusals: [string, string, RegExp][] = [
    ['more memory than the maximum', `--memory 512m ${BUSYBOX} true`, /--memory 512 MiB is over this server's maximum of 256 MiB for a step \(SLIPWAY_STEP_MAX_MEMORY_MIB\)/],
    ['more processes than the maximum', `--pids-limit 4096 ${BUSYBOX} true`, /--pids-limit 4096 is over this server's maximum of 2048 processes for a step \(SLIPWAY_STEP_MAX_PIDS\)/],
    ['no process limit at all', `--pids-limit -1 ${BUSYBOX} true`, /--pids-limit without a limit is over this server's maximum of 2048/],
    ['more CPUs than the maximum', `--cpus 2 ${BUSYBOX} true`, /--cpus 2 is over this server's maximum of 1 for a step \(SLIPWAY_STEP_MAX_CPUS\)/],
    ['SYS_ADMIN', `--cap-add SYS_ADMIN ${BUSYBOX} true`, /--cap-add SYS_ADMIN is not allowed: a step may ask back only Docker's default capabilities/],
    ['NET_ADMIN', `--cap-add=NET_ADMIN ${BUSYBOX} true`, /--cap-add NET_ADMIN is not allowed/],
    ['every capability', `--cap-add ALL ${BUSYBOX} true`, /--cap-add ALL is not allowed/],
    ['a privileged container', `--privileged ${BUSYBOX} true`, /privileged containers are not allowed on this server \(SLIPWAY_TASK_ALLOW_PRIVILEGED\)/],
  ];
  for (const [what, cmd, message] of refusals) {
    it(`asking for ${what} is refused when the run is submitted, naming why`, async () => {
      const res = await submitStep(s.stack.url, cmd);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, message);
    });
  }
});
