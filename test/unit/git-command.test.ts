// GitCli, the one process wrapper of every git Slipway runs: masked and throttled stderr lines, and a kill on the
// deadline or the signal that reaches the whole process group (git's helpers too). Node scripts stand in
// for git so the tests can print secrets and leave grandchildren behind on purpose.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SecretMasker } from '../../src/log.js';
import { GitCli } from '../../src/git/command.js';

const SECRET = 'tok-0123456789abcdef';

function cli(masker = new SecretMasker()): GitCli {
  return new GitCli({ PATH: process.env.PATH ?? '/usr/bin:/bin' }, masker, process.execPath);
}

/** Running, as opposed to gone or a zombie waiting for its new parent to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('GitCli', () => {
  it('masks every line, keeps stdout apart and a masked stderr tail', async () => {
    const masker = new SecretMasker();
    masker.add(SECRET);
    const lines: string[] = [];
    const script = `process.stdout.write('out ${SECRET}\\n'); process.stderr.write('fatal: bad ${SECRET}\\r\\nsecond\\nno newline ${SECRET}'); process.exit(3)`;
    const res = await cli(masker).run(['-e', script], { onLine: (l) => lines.push(l) });
    assert.equal(res.code, 3);
    assert.equal(res.stdout, `out ${SECRET}\n`);
    assert.deepEqual(lines, ['fatal: bad ***', 'second', 'no newline ***']);
    assert.equal(res.stderr, 'fatal: bad ***\nsecond\nno newline ***');
    assert.equal(res.killed, undefined);
  });

  it('passes progress lines (ended by \\r) at most once a second, final lines always', async () => {
    const lines: string[] = [];
    const script = `for (let i = 0; i <= 100; i++) process.stderr.write('Receiving objects: ' + i + '%\\r'); process.stderr.write('Receiving objects: 100%, done.\\n')`;
    await cli().run(['-e', script], { onLine: (l) => lines.push(l) });
    assert.deepEqual(lines, ['Receiving objects: 0%', 'Receiving objects: 100%, done.']);
  });

  it('a throwing line sink does not crash the process', async () => {
    const res = await cli().run(['-e', `process.stderr.write('x\\n')`], {
      onLine: () => {
        throw new Error('sink failed');
      },
    });
    assert.equal(res.code, 0);
  });

  it('kills the process group on the deadline, grandchildren included', async () => {
    const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' }); console.log(c.pid); setTimeout(() => {}, 60000)`;
    const started = Date.now();
    const res = await cli().run(['-e', script], { deadline: Date.now() + 800 });
    assert.equal(res.killed, 'deadline');
    assert.ok(Date.now() - started < 5000);
    const grandchild = Number(res.stdout.trim());
    assert.ok(grandchild > 0);
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(grandchild), false, 'the grandchild was killed with its group');
  });

  it('kills on abort, and does not start when already aborted or past the deadline', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const res = await cli().run(['-e', 'setTimeout(() => {}, 60000)'], { signal: abort.signal });
    assert.equal(res.killed, 'signal');
    assert.equal((await cli().run(['-e', '0'], { signal: abort.signal })).killed, 'signal');
    assert.equal((await cli().run(['-e', '0'], { deadline: Date.now() - 1 })).killed, 'deadline');
  });

  it('reports a missing binary as an error', async () => {
    await assert.rejects(new GitCli({}, new SecretMasker(), '/nonexistent/git').run(['--version']), /cannot run \/nonexistent\/git/);
  });
});
