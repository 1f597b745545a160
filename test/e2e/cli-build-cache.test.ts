// `slipway build --cache-to type=inline` and `--cache-from`, as far as Docker Engine's BuildKit takes them: the
// pushed image carries the inline cache metadata, a later build imports it (by a name without a registry, read
// against the default registry as tags are), and the cache exports the Engine cannot do are refused up front.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { registryImageConfig } from '../support/api.js';
import { folderWith, runSlipway } from '../support/cli.js';
import { BASE_IMAGE, REGISTRY, ROOT, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

describe('build cache from and to images', () => {
  let stack: TestStack;
  let dir: string;
  const repo = `slipway-test/${uniqueName('cache')}`;
  const cli = (...args: string[]) => runSlipway(args, { cwd: ROOT, env: stack.env });

  before(async () => {
    stack = await startTestStack();
    dir = await folderWith({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo ${uniqueName('layer')} > /made\n` });
  });
  after(async () => {
    await stack?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('pushes inline cache metadata, and a later build imports it', async () => {
    const first = await cli('build', '-t', `${repo}:cache`, '--cache-to', 'type=inline', dir);
    assert.equal(first.code, 0, first.stderr);
    const config = (await registryImageConfig(REGISTRY, repo, 'cache')) as Record<string, unknown>;
    assert.ok('moby.buildkit.cache.v0' in config, `no inline cache in the image config: ${Object.keys(config).join(', ')}`);

    const second = await cli('build', '--no-push', '--progress', 'plain', '--cache-from', `type=registry,ref=${repo}:cache`, dir);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, new RegExp(`importing cache manifest from ${REGISTRY}/${repo}:cache`));
  });

  it('refuses cache exports and sources the Engine does not have, before anything is sent', async () => {
    const to = await cli('build', '--no-push', '--cache-to', 'type=registry,ref=x:cache', dir);
    assert.equal(to.code, 2);
    assert.match(to.stderr, /--cache-to type=inline/);
    const from = await cli('build', '--no-push', '--cache-from', 'type=local,src=/tmp/cache', dir);
    assert.equal(from.code, 2);
    assert.match(from.stderr, /cache from images only/);
  });
});
