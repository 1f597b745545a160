// Job payloads are checked on both sides of the queue: a job names exactly one source and is either a
// Dockerfile build or a task-file run, with the fields its kind needs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BuildJob, capabilityOf, DockerfileJob } from '../../src/queue/jobs.js';

const digest = `sha256:${'a'.repeat(64)}`;
const dockerfile = {
  kind: 'dockerfile',
  runId: 'r0000001',
  source: { kind: 'context', digest },
  platform: 'linux/amd64',
  timeoutSeconds: 60,
  registryLogins: [],
  dockerfile: 'Dockerfile',
  images: ['127.0.0.1:5000/app:v1'],
  buildArgs: {},
  secretBuildArgs: {},
  buildSecrets: {},
  noPush: false,
  daemonless: false,
};
const taskFile = {
  kind: 'task-file',
  runId: 'r0000002',
  source: { kind: 'git', url: 'https://git.example/app.git', commit: 'c'.repeat(40) },
  task: 'app',
  platform: 'linux/amd64',
  timeoutSeconds: 60,
  registryLogins: [{ host: 'ghcr.io', username: 'bot', password: 'not-shown-anywhere' }],
  taskFile: 'acb.yaml',
  values: {},
  secretValues: { TOKEN: 'hunter22' },
};
const { source: _, ...sourceless } = dockerfile;

describe('build job payloads', () => {
  const refused: [string, unknown][] = [
    ['no source at all', sourceless],
    ['the old flat shape, a context beside the fields and no source', { ...sourceless, context: digest }],
    ['an empty source', { ...dockerfile, source: {} }],
    ['a source of an unknown kind', { ...dockerfile, source: { kind: 's3', digest } }],
    ['a context source without its digest', { ...dockerfile, source: { kind: 'context' } }],
    ['a context source whose digest is not a sha256', { ...dockerfile, source: { kind: 'context', digest: 'sha256:abc' } }],
    ['a git source without its commit', { ...dockerfile, source: { kind: 'git', url: 'https://git.example/app.git' } }],
    ['no kind', { ...dockerfile, kind: undefined }],
    ['a Dockerfile build without its Dockerfile', { ...dockerfile, dockerfile: undefined }],
    ['a Dockerfile build with an empty Dockerfile path', { ...dockerfile, dockerfile: '' }],
    ['a task-file run without its task file', { ...taskFile, taskFile: undefined }],
    ['a task-file run without its secret values', { ...taskFile, secretValues: undefined }],
    ['a Dockerfile build that names a task file instead', { ...taskFile, kind: 'dockerfile' }],
  ];
  for (const [what, payload] of refused) {
    it(`refuses ${what}`, () => {
      assert.equal(BuildJob.safeParse(payload).success, false);
    });
  }

  it('cannot be written without a source either (npm run typecheck checks this)', () => {
    // @ts-expect-error: `source` is required
    const job: BuildJob = { ...sourceless, kind: 'dockerfile' };
    assert.equal(BuildJob.safeParse(job).success, false);
  });

  it('reads a Dockerfile build from an upload and a task-file run from git', () => {
    assert.deepEqual(BuildJob.parse(dockerfile), dockerfile);
    assert.deepEqual(BuildJob.parse(taskFile), taskFile);
  });

  it('takes only Dockerfile builds for the platforms of a multi-platform run', () => {
    assert.equal(DockerfileJob.safeParse(taskFile).success, false);
    assert.equal(DockerfileJob.safeParse(dockerfile).success, true);
  });

  it('queues daemonless windows builds apart from the windows daemon, and task files on their platform', () => {
    assert.equal(capabilityOf(BuildJob.parse({ ...dockerfile, platform: 'windows/amd64', daemonless: true })), 'windows/amd64-daemonless');
    assert.equal(capabilityOf(BuildJob.parse({ ...dockerfile, platform: 'windows/amd64' })), 'windows/amd64');
    assert.equal(capabilityOf(BuildJob.parse({ ...taskFile, platform: 'linux/arm64' })), 'linux/arm64');
  });
});
