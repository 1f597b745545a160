// `slipway build -t app:1 URL#ref:dir`, as `docker build` and `az acr build` take a repository: the server
// resolves the ref and the worker checks out that commit, builds the directory with -f relative to it, and the
// image says where it came from (OCI labels). A hostile or malformed repository is refused before anything queues.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getRun, registryImageConfig } from '../support/api.js';
import { runSlipway } from '../support/cli.js';
import { GitServer } from '../support/git-server.js';
import { BASE_IMAGE, REGISTRY, ROOT, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

describe('slipway build of a git repository', () => {
  let stack: TestStack;
  let git: GitServer;
  let sha: string;
  const repo = `slipway-test/${uniqueName('gitctx')}`;
  const cli = (...args: string[]) => runSlipway(args, { cwd: ROOT, env: stack.env });

  before(async () => {
    git = await GitServer.start({ daemon: false });
    await git.createRepo('app');
    await git.commit('app', { 'Dockerfile': 'FROM scratch\nthis is not the one built\n' }, 'first');
    sha = await git.commit('app', { 'docker/Dockerfile.web': `FROM ${BASE_IMAGE}\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt\n`, 'docker/hello.txt': 'hello from git\n' }, 'second', { branch: 'release' });
    stack = await startTestStack({ env: { SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1' } });
  });
  after(async () => {
    await stack?.close();
    await git?.stop();
  });

  it('builds the ref and directory named, with -f relative to it, and labels the image with its source', async () => {
    const url = `${git.httpUrl('app')}#release:docker`;
    const res = await cli('build', '-q', '-t', `${repo}:v1`, '-f', 'Dockerfile.web', url);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout.trim(), new RegExp(`^${REGISTRY}/${repo}:v1@sha256:[0-9a-f]{64}$`));
    const [listed] = JSON.parse((await cli('runs', 'list', '--top', '1', '-o', 'json')).stdout);
    const run = await getRun(stack.url, listed.id);
    assert.deepEqual((run.request as { git?: unknown }).git, { url: git.httpUrl('app'), ref: 'refs/heads/release', commit: sha, subdir: 'docker' });
    const labels = (await registryImageConfig(REGISTRY, repo, 'v1')).config?.Labels ?? {};
    assert.equal(labels['org.opencontainers.image.revision'], sha);
    assert.equal(labels['org.opencontainers.image.source'], git.httpUrl('app'));
  });

  it('refuses a ref that does not exist and a directory outside the repository, with nothing queued', async () => {
    const before = JSON.parse((await cli('runs', 'list', '-o', 'json')).stdout).length;
    const missing = await cli('build', '--no-push', `${git.httpUrl('app')}#no-such-branch`);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /no-such-branch/);
    const escape = await cli('build', '--no-push', `${git.httpUrl('app')}#release:../../etc`);
    assert.equal(escape.code, 2, escape.stderr);
    assert.match(escape.stderr, /contains "\.\."/);
    assert.equal(JSON.parse((await cli('runs', 'list', '-o', 'json')).stdout).length, before);
  });
});
