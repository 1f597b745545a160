// The tty view's drawing, from the plain lines a run's log carries: steps collapsed with their timers, the
// running step's last lines, failures kept, colours only when asked, and lines cut to the terminal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtyProgressView } from '../../src/cli/progress-view.js';

function view(color = false) {
  let out = '';
  let now = 1_000;
  const v = new TtyProgressView({ write: (t: string) => (out += t), columns: 60, isTTY: true }, { color, now: () => now });
  return { v, out: () => out, tick: (ms: number) => (now += ms) };
}

describe('the tty progress view', () => {
  it('collapses finished steps to one line with their time and shows the running one with its last lines', () => {
    const { v, tick } = view();
    for (const l of ['#1 [internal] load build definition from Dockerfile', '#1 DONE 0.1s', '#2 [1/2] FROM base', '#2 CACHED', '#3 [2/2] RUN make']) v.line(l);
    for (let i = 1; i <= 8; i++) v.line(`#3 0.${i}00 compiling part ${i}`);
    tick(2500);
    const lines = v.render();
    assert.match(lines[0]!, /^\[\+\] Building 2\.5s \(2\/3\)$/);
    assert.match(lines[1]!, /^=> \[internal\] load build definition from Dockerfile\s+0\.1s$/);
    assert.match(lines[2]!, /^=> CACHED \[1\/2\] FROM base\s+0\.0s$/);
    assert.match(lines[3]!, /^=> \[2\/2\] RUN make\s+2\.5s$/);
    assert.deepEqual(lines.slice(4), [3, 4, 5, 6, 7, 8].map((i) => `=> => # compiling part ${i}`));
    assert.ok(lines.every((l) => l.length <= 60), 'cut to the terminal');
    v.line('#3 DONE 2.4s');
    v.finish();
    const done = v.render();
    assert.match(done[0]!, /\(3\/3\) FINISHED$/);
    assert.equal(done.length, 4, 'nothing running: no output lines');
  });

  it('keeps a failed step with its last lines, and prints other lines above the view for good', () => {
    const { v, out } = view();
    v.line('#4 [2/2] RUN false');
    v.line('#4 0.100 about to fail');
    v.line('slipway: pushing 127.0.0.1:5000/app:1');
    v.line('#4 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1');
    v.finish();
    const lines = v.render();
    assert.match(lines[1]!, /^=> ERROR \[2\/2\] RUN false/);
    assert.equal(lines[2], '=> => # about to fail');
    assert.match(lines[3]!, /^=> => # ERROR: process "\/bin\/sh -c false" did not .*…$/);
    assert.equal(lines[3]!.length, 60);
    assert.ok(out().includes('slipway: pushing 127.0.0.1:5000/app:1\n'));
    assert.doesNotMatch(out(), /\x1b\[\d+m/, 'no colours when off');
  });

  it('colours running steps and errors only when asked (NO_COLOR off)', () => {
    const { v } = view(true);
    v.line('#1 [1/1] RUN x');
    assert.match(v.render()[1]!, /^\x1b\[34m=> \[1\/1\] RUN x/);
  });
});
