// A task-file run into a quarantined repository (SLIPWAY_QUARANTINE_REPOSITORIES), on the real registry: its
// push step pushes by digest only, the tag does not move, the image waits in the quarantine list, and a
// scanner's approval (here the admin's) moves the tag to exactly that digest.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Run } from '../../src/runs/model.js';
import { apiFetch, registryDigest, runLog, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { BASE_IMAGE, REGISTRY, uniqueName } from '../support/stack.js';
import { withStack } from '../support/with-stack.js';

const MANIFEST_ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

describe('a quarantined task-file run', () => {
  const space = uniqueName('quartf');
  const live = withStack({ env: { SLIPWAY_QUARANTINE_REPOSITORIES: `${space}/held/*` } });

  it('pushes by digest only; the tag moves when a scanner approves', async () => {
    const repo = `${space}/held/app`;
    const taskFile = `version: v1.1.0\nsteps:\n  - build: -t $Registry/${repo}:v1 .\n  - push: [$Registry/${repo}:v1]\n`;
    const res = await submit(live.stack.url, await contextArchive(`FROM ${BASE_IMAGE}\nCOPY marker /marker\n`, { 'acb.yaml': taskFile, marker: space }), { taskFile: 'acb.yaml' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = (await waitForRun(live.stack.url, res.body.id)) as unknown as Run;
    const log = await runLog(live.stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.equal(run.request.quarantine, true);
    const [image] = run.outputImages;
    assert.deepEqual([image?.repository, image?.tag, image?.quarantine?.state], [repo, 'v1', 'quarantined']);
    const digest = image!.digest;
    assert.match(log, new RegExp(`quarantined ${REGISTRY.replaceAll('.', '\\.')}/${repo}@${digest}`));

    // In the registry by digest, under no tag.
    const byDigest = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${digest}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
    assert.equal(byDigest.status, 200);
    assert.equal(await registryDigest(REGISTRY, repo, 'v1'), null, 'the tag does not move before approval');

    // Listed once the API has heard the run ended (the finish stream), then approved.
    const deadline = Date.now() + 60_000;
    let listed: { digest: string; images: string[]; state: string } | undefined;
    while (!listed && Date.now() < deadline) {
      const list = (await (await apiFetch(`${live.stack.url}/v1/quarantine`)).json()) as { images: { digest: string; images: string[]; state: string }[] };
      listed = list.images.find((i) => i.digest === digest);
      if (!listed) await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual([listed?.state, listed?.images], ['quarantined', [`${REGISTRY}/${repo}:v1`]]);
    const approved = await apiFetch(`${live.stack.url}/v1/quarantine/${digest}/approve`, { method: 'POST' });
    assert.equal(approved.status, 200, await approved.text());
    assert.equal(await registryDigest(REGISTRY, repo, 'v1'), digest, 'the tag names exactly the approved digest');
  });

  it('a push into a quarantined repository that only the worker sees is refused, not pushed unreviewed', async () => {
    // Submit renders run variables with placeholders (ID r0000000), so the API sees a free repository; the
    // worker renders the real ID and finds a quarantined one.
    const target = `$Registry/${space}/{{ if eq .Run.ID "r0000000" }}free{{ else }}held{{ end }}/late:v1`;
    const taskFile = `version: v1.1.0\nsteps:\n  - build: -t ${target} .\n  - push: ["${target}"]\n`;
    const res = await submit(live.stack.url, await contextArchive(`FROM ${BASE_IMAGE}\n`, { 'acb.yaml': taskFile }), { taskFile: 'acb.yaml' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = (await waitForRun(live.stack.url, res.body.id)) as unknown as Run;
    assert.equal(run.status, 'failed');
    assert.match(run.error ?? '', new RegExp(`${space}/held/late:v1: a quarantined repository .* this run is not quarantined`));
    assert.equal(await registryDigest(REGISTRY, `${space}/held/late`, 'v1'), null);
  });
});
