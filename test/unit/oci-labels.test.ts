// The OCI labels a git build gets: source, revision and created, unless the Dockerfile or the run sets them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerfileLabelKeys, gitSourceLabels, OCI_CREATED, OCI_REVISION, OCI_SOURCE } from '../../src/dockerfile/oci-labels.js';

const git = { url: 'https://git.example.com/org/app.git', commit: 'a'.repeat(40) };
const at = new Date('2026-12-05T19:00:00.000Z');

describe('OCI labels for git builds', () => {
  it('adds all three to a Dockerfile without labels', () => {
    assert.deepEqual(gitSourceLabels(git, 'FROM scratch\nCOPY . /\n', undefined, at), {
      [OCI_SOURCE]: 'https://git.example.com/org/app.git',
      [OCI_REVISION]: git.commit,
      [OCI_CREATED]: '2026-12-05T19:00:00.000Z',
    });
  });

  const cases: [string, string[]][] = [
    ['FROM scratch\nLABEL org.opencontainers.image.source=https://elsewhere\n', [OCI_SOURCE]],
    ['FROM scratch\nLABEL "org.opencontainers.image.revision"="v1" other=1\n', [OCI_REVISION, 'other']],
    ["FROM scratch\nlabel a=1 \\\n  'org.opencontainers.image.created'=yesterday\n", ['a', OCI_CREATED]],
    ['FROM base AS b\nLABEL org.opencontainers.image.source https://old-form with spaces\nFROM scratch\n', [OCI_SOURCE]],
    ['FROM scratch\n# LABEL org.opencontainers.image.source=commented\nRUN echo LABEL org.opencontainers.image.revision=x\n', []],
  ];
  for (const [dockerfile, keys] of cases) {
    it(`reads the LABEL keys of ${JSON.stringify(dockerfile.slice(13, 60))}`, () => {
      assert.deepEqual([...dockerfileLabelKeys(dockerfile)].sort(), [...keys].sort());
    });
  }

  it('leaves out what the Dockerfile or --label sets', () => {
    const labels = gitSourceLabels(git, 'FROM scratch\nLABEL org.opencontainers.image.source=https://mine\n', { [OCI_REVISION]: 'release-1' }, at);
    assert.deepEqual(Object.keys(labels), [OCI_CREATED]);
  });

  it('shows no credentials from the URL', () => {
    assert.equal(gitSourceLabels({ ...git, url: 'https://user:tok@git.example.com/org/app.git?x=1#main' }, 'FROM scratch\n', undefined, at)[OCI_SOURCE], 'https://git.example.com/org/app.git');
    assert.equal(gitSourceLabels({ ...git, url: 'git@github.com:org/app.git' }, 'FROM scratch\n', undefined, at)[OCI_SOURCE], 'github.com:org/app.git');
  });
});
