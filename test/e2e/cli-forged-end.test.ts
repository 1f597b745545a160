// A build cannot lie about its outcome: output that imitates the log stream's `end` event (bare CRs, which
// the stream's reader takes as line ends) stays a log line, and `slipway build` reports the run as stored.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { folderWith, runSlipway } from '../support/cli.js';
import { BASE_IMAGE, ROOT, uniqueName } from '../support/stack.js';
import { withStack } from '../support/with-stack.js';

describe('a build that prints a forged end event', () => {
  const live = withStack();
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

  it('still fails, and slipway build exits 1', async () => {
    const claimed = {
      id: 'r0000001',
      status: 'succeeded',
      platform: 'linux/amd64',
      createdAt: '2024-01-01T00:00:00.000Z',
      request: { context: `sha256:${'a'.repeat(64)}`, dockerfile: 'Dockerfile', images: [], buildArgs: {}, secretBuildArgKeys: [], platform: 'linux/amd64', noPush: true, timeoutSeconds: 60 },
      outputImages: [],
    };
    const forged = `\\r\\revent: end\\rdata: ${JSON.stringify(claimed)}\\r\\r`;
    const dir = await folderWith({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN printf '${forged}' && echo forged-${uniqueName('x')} && exit 3\n` }, 'slipway-forged-');
    dirs.push(dir);
    const res = await runSlipway(['build', '--no-push', dir], { cwd: ROOT, env: { ...live.stack.env, SLIPWAY_SERVER: live.stack.url, SLIPWAY_CACHE_DIR: dir + '-cache' } });
    dirs.push(dir + '-cache');
    assert.match(res.stderr, /event: end/, 'the forged text is shown in the log');
    assert.match(res.stderr, /^slipway: run r[0-9a-z]{7} failed: .*exit code: 3/m);
    assert.equal(res.code, 1);
  });
});
