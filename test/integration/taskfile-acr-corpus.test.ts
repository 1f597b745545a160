// ACR's published task files (test/fixtures/taskfiles/acr/) run unchanged on the real stack, as `az acr run`
// runs them: $Registry is the run's registry (the test registry here, as ACR gives a task its own), and ACR's
// `bash` image alias points at a stand-in built first (busybox, its ash as bash, the entry point of Docker's
// bash image), since a server's image aliases name images it can reach. Each file's outcome is checked as
// its sample documents it: images pushed to the registry, the output of its cmd steps, steps side by side
// where when says so. The files that need Azure or the internet (Key Vault, mcr.microsoft.com and Docker Hub
// images, two registries) are only validated, in test/unit/taskfile-acr-corpus.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import type { Run } from '../../src/runs/model.js';
import { registryDigest, registryImageConfig, runLog, submit, waitForRun } from '../support/api.js';
import { tarGz, type Entry } from '../support/archives.js';
import { REGISTRY, uniqueName } from '../support/stack.js';
import { withGitStack } from '../support/with-stack.js';

const BUSYBOX = `${REGISTRY}/base/busybox:latest`;
const BASH_REPO = `slipway-test/${uniqueName('acr-bash')}`;
const CORPUS = new URL('../fixtures/taskfiles/acr/', import.meta.url);
// The samples' hello-world.dockerfile starts from mcr.microsoft.com/hello-world; this one prints as it does.
const HELLO_DOCKERFILE = `FROM ${BUSYBOX}\nCMD ["echo", "Hello from Docker!"]\n`;

/** A context holding one corpus file, unchanged, as acb.yaml's neighbours hold it in the samples repository. */
async function corpusContext(name: string): Promise<Buffer> {
  const entries: Entry[] = [
    { name, content: await fs.readFile(new URL(name, CORPUS)) },
    { name: 'hello-world.dockerfile', content: HELLO_DOCKERFILE },
  ];
  return tarGz(entries);
}

describe("ACR's published task files, run", () => {
  const live = withGitStack({ env: { SLIPWAY_TASK_IMAGE_ALIASES: `bash=${REGISTRY}/${BASH_REPO}:latest` } });

  before(async () => {
    const archive = await tarGz([
      { name: 'Dockerfile', content: `FROM ${BUSYBOX}\nCOPY bash /bin/bash\nCOPY docker-entrypoint.sh /usr/local/bin/\nENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]\nCMD ["bash"]\n` },
      { name: 'bash', content: '#!/bin/sh\nexec /bin/ash "$@"\n', mode: 0o755 },
      // The entry point of Docker's library bash image, which ACR's mirrors: `bash -c '…'` gives bash the
      // flags, `bash echo hi` runs the command.
      { name: 'docker-entrypoint.sh', content: '#!/bin/sh\nif [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then exec bash "$@"; fi\nexec "$@"\n', mode: 0o755 },
    ]);
    const res = await submit(live.stack.url, archive, { images: [`${BASH_REPO}:latest`] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = await waitForRun(live.stack.url, res.body.id);
    assert.equal(run.status, 'succeeded', `the bash stand-in: ${run.error}\n${await runLog(live.stack.url, run.id)}`);
  });

  /** Runs one corpus file from an upload and returns the finished run and its log. */
  async function runCorpusFile(name: string, values: Record<string, unknown> = {}): Promise<{ run: Run; log: string }> {
    const res = await submit(live.stack.url, await corpusContext(name), { taskFile: name, values });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = (await waitForRun(live.stack.url, res.body.id)) as unknown as Run;
    const log = await runLog(live.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${name}: ${run.error}\n${log}`);
    return { run, log };
  }

  it('build-run-hello-world.yaml builds, pushes $Registry/hello-world:$ID and runs the pushed image', async () => {
    const { run, log } = await runCorpusFile('build-run-hello-world.yaml');
    const digest = await registryDigest(REGISTRY, 'hello-world', run.id);
    assert.ok(digest, 'the image is in the registry under the run id');
    assert.deepEqual(run.outputImages.map((o) => [o.registry, o.repository, o.tag, o.digest]), [[REGISTRY, 'hello-world', run.id, digest]]);
    assert.match(log, /\[acb_step_2\] Hello from Docker!/);
  });

  it('build-test-hello-world.yaml builds two images side by side and runs the unpushed test image after its build', async () => {
    const { run, log } = await runCorpusFile('build-test-hello-world.yaml');
    assert.deepEqual(run.steps!.map((s) => `${s.id}:${s.status}`), ['build-hello-world:succeeded', 'build-hello-world-test:succeeded', 'hello-world:succeeded', 'func-tests:succeeded']);
    const step = Object.fromEntries(run.steps!.map((s) => [s.id, s]));
    const t = (id: string, f: 'startedAt' | 'finishedAt') => Date.parse(step[id]![f]!);
    // Both builds start at once: each starts before the other has finished.
    assert.ok(t('build-hello-world-test', 'startedAt') <= t('build-hello-world', 'finishedAt'), 'the builds overlap');
    assert.ok(t('hello-world', 'startedAt') >= t('build-hello-world', 'finishedAt'));
    assert.ok(t('func-tests', 'startedAt') >= t('hello-world', 'finishedAt'));
    assert.match(log, /\[hello-world\] Hello from Docker!/);
    assert.match(log, /\[func-tests\] Hello from Docker!/);
    assert.deepEqual(run.outputImages, [], 'no push step: nothing pushed');
  });

  it('files-working-directory.yaml shares /workspace between steps: a file written by one is read and listed by the next', async () => {
    const { log } = await runCorpusFile('files-working-directory.yaml');
    // `echo $(date) >> hello.txt` runs in bash -c, so $(date) is the shell's; the next step prints it.
    assert.match(log, /\[read-file\] \w{3} \w{3} +\d+ \d\d:\d\d:\d\d \w+ \d{4}/);
    assert.match(log, /\[list-workspace-files\] .* hello\.txt$/m);
  });

  it('mounts-multistep.yaml mounts secret volumes rendered from values into cmd steps', async () => {
    const { log } = await runCorpusFile('mounts-multistep.yaml', { secret1: 'first-volume-secret', secret2: 'second-volume-secret' });
    assert.match(log, /\[acb_step_0\] first-volume-secret/);
    // The files hold no newline: cat prints both on one line, in ACR too.
    assert.match(log, /\[acb_step_1\] first-volume-secretsecond-volume-secret/);
  });

  it('when-sequential-default.yaml runs its steps one after another, in order', async () => {
    const { run, log } = await runCorpusFile('when-sequential-default.yaml');
    const at = (word: string) => log.search(new RegExp(`\\] ${word}$`, 'm'));
    assert.ok(at('one') !== -1 && at('one') < at('two') && at('two') < at('three'), log);
    const times = run.steps!.map((s) => [Date.parse(s.startedAt!), Date.parse(s.finishedAt!)] as const);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]![0] >= times[i - 1]![1], `step ${i} starts after step ${i - 1} finished`);
  });

  it('cache: enabled leaves the build cache beside the first tag, <repository>:cache_quickrun_<step>, as ACR does', async () => {
    const repo = `slipway-test/${uniqueName('acr-cache')}`;
    const taskFile = `version: v1.1.0\nsteps:\n  - id: web\n    build: -t $Registry/${repo}:$ID -f hello-world.dockerfile .\n    cache: enabled\n`;
    // A layer of its own: an image of no layers but its base's carries no inline cache.
    const dockerfile = `FROM ${BUSYBOX}\nCOPY acb.yaml /acb.yaml\n`;
    const res = await submit(live.stack.url, await tarGz([{ name: 'acb.yaml', content: taskFile }, { name: 'hello-world.dockerfile', content: dockerfile }]), { taskFile: 'acb.yaml' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = (await waitForRun(live.stack.url, res.body.id)) as unknown as Run;
    const log = await runLog(live.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.match(log, new RegExp(`\\[web\\] slipway: cache: pushed ${REGISTRY}/${repo}:cache_quickrun_web@sha256:`));
    // The cache travels inline in the image config, where a later build's --cache-from finds it.
    const config = (await registryImageConfig(REGISTRY, repo, 'cache_quickrun_web')) as Record<string, unknown>;
    assert.ok('moby.buildkit.cache.v0' in config, Object.keys(config).join(' '));
    assert.equal(await registryDigest(REGISTRY, repo, run.id), null, 'no push step: the image itself is not pushed');
  });

  it('volumeMounts on a build step: a volume mounted inside the context is part of it, and the workspace never holds its files', async () => {
    const taskFile = `version: v1.1.0
volumes:
  - name: creds
    secret:
      token: {{.Values.token | b64enc}}
steps:
  - id: image
    build: -t with-volume -f hello-world.dockerfile .
    volumeMounts:
      - name: creds
        mountPath: /workspace/creds
  - id: read
    cmd: with-volume cat /token
  - id: workspace
    cmd: ${BUSYBOX} sh -c 'test ! -e creds/token && echo workspace-clean'
`;
    const dockerfile = `FROM ${BUSYBOX}\nCOPY creds/token /token\n`;
    const res = await submit(live.stack.url, await tarGz([{ name: 'acb.yaml', content: taskFile }, { name: 'hello-world.dockerfile', content: dockerfile }]), { taskFile: 'acb.yaml', values: { token: 'from-a-build-volume' } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = (await waitForRun(live.stack.url, res.body.id)) as unknown as Run;
    const log = await runLog(live.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.match(log, /\[read\] from-a-build-volume/);
    assert.match(log, /\[workspace\] workspace-clean/);
  });

  it('a build step whose context is a remote git repository (#branch:dir) is checked out by the worker and built', async () => {
    const repo = uniqueName('remote-context');
    await live.git.createRepo(repo);
    const sha = await live.git.commit(repo, { 'app/Dockerfile': `FROM ${BUSYBOX}\nCOPY marker /marker\nCMD ["cat", "/marker"]\n`, 'app/marker': 'from-the-remote-context\n', 'Dockerfile': 'FROM scratch-is-not-this-one\n' }, 'remote', { branch: 'feature' });
    const url = live.git.httpUrl(repo);
    const taskFile = `version: v1.1.0\nsteps:\n  - build: -t remote-built ${url}#feature:app\n  - cmd: remote-built\n`;
    const res = await submit(live.stack.url, await tarGz([{ name: 'acb.yaml', content: taskFile }]), { taskFile: 'acb.yaml' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = (await waitForRun(live.stack.url, res.body.id)) as unknown as Run;
    const log = await runLog(live.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.match(log, new RegExp(`\\[acb_step_0\\] slipway: checked out ${url.replaceAll('.', '\\.')} at ${sha}`));
    assert.match(log, /\[acb_step_1\] from-the-remote-context/);
  });
});
