// `slipway run -f`, `slipway deps` and `slipway graph` as a user runs them, against a real API, worker,
// Docker Engine and registry: exit codes, what is printed, and bad input refused before anything is sent.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { registryDigest } from '../support/api.js';
import { folderWith, runSlipway, type CliResult } from '../support/cli.js';
import { BASE_IMAGE, REGISTRY, ROOT, uniqueName } from '../support/stack.js';
import { withStack } from '../support/with-stack.js';

const BUSYBOX = `${REGISTRY}/base/busybox:latest`;

describe('slipway run, deps and graph against a real stack', () => {
  const live = withStack();
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

  const cli = (...args: string[]): Promise<CliResult> =>
    runSlipway(args, { cwd: ROOT, env: { ...live.stack.env, SLIPWAY_SERVER: live.stack.url, SLIPWAY_CACHE_DIR: path.join(os.tmpdir(), 'slipway-e2e-cache') } });

  async function folder(files: Record<string, string>): Promise<string> {
    const dir = await folderWith(files);
    dirs.push(dir);
    return dir;
  }

  it('runs a task file: values and secrets, the log streamed with secrets masked, the pushed digest printed', async () => {
    const repo = `slipway-test/${uniqueName('clirun')}`;
    const dir = await folder({
      'acb.yaml': `version: v1.1.0\nsecrets:\n  - id: pw\nsteps:\n  - build: -t $Registry/${repo}:v1 .\n  - cmd: $Registry/${repo}:v1 sh -c 'echo "{{.Values.who}} says $PW"'\n    env:\n      - PW={{.Secrets.pw}}\n  - push:\n      - $Registry/${repo}:v1\n`,
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY acb.yaml /acb.yaml\n`,
    });
    const res = await cli('run', '-f', path.join(dir, 'acb.yaml'), dir, '--set', 'who=alice', '--set-secret', 'pw=open-sesame-42');
    assert.equal(res.code, 0, res.stderr);
    const all = res.stdout + res.stderr;
    assert.match(all, /alice says \*\*\*/);
    assert.ok(!all.includes('open-sesame-42'));
    const digest = await registryDigest(REGISTRY, repo, 'v1');
    assert.ok(digest && all.includes(digest), `the pushed digest ${digest} is printed`);
  });

  it('run: a task file mistake is shown with its line before anything is uploaded; a failing step exits 1', async () => {
    const dir = await folder({ 'acb.yaml': 'version: v1.1.0\nsteps:\n  - cmd: x\n    nope: 1\n', 'fail.yaml': `version: v1.1.0\nsteps:\n  - cmd: ${BUSYBOX} sh -c 'echo about-to-fail; exit 4'\n` });
    const bad = await cli('run', '-f', path.join(dir, 'acb.yaml'), dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /acb\.yaml:4:\d+: .*nope/);
    assert.doesNotMatch(bad.stderr, /Uploading|Packing/);
    const failed = await cli('run', '-f', path.join(dir, 'fail.yaml'), dir);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout + failed.stderr, /about-to-fail/);
    assert.match(failed.stderr, /failed.*exited with code 4/);
    const outside = await cli('run', '-f', path.join(dir, 'acb.yaml'), os.tmpdir() === dir ? '/' : path.join(dir, 'sub-that-is-not-there'));
    assert.equal(outside.code, 2);
    const secretTypo = await cli('run', '-f', path.join(dir, 'fail.yaml'), dir, '--set-secret', 'hunter2-no-equals');
    assert.equal(secretTypo.code, 2);
    assert.ok(!secretTypo.stderr.includes('hunter2-no-equals'), 'a malformed secret flag is not echoed');
  });

  it('deps: the bases of a multi-stage Dockerfile, and clear errors for a bad one', async () => {
    const dir = await folder({
      Dockerfile: 'ARG GO=1.22\nFROM --platform=$BUILDPLATFORM golang:${GO} AS build\nRUN true\nFROM debian:12-slim\nCOPY --from=build /x /x\nCOPY --from=alpine:3 /etc/os-release /\n',
      'Bad.Dockerfile': 'FROM\n',
    });
    const res = await cli('deps', dir, '--build-arg', 'GO=1.23');
    assert.equal(res.code, 0, res.stderr);
    const rows = res.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s{2,}/).slice(0, 2).join(' '));
    assert.deepEqual(rows, ['docker.io/library/debian:12-slim runtime', 'docker.io/library/golang:1.23 buildtime', 'docker.io/library/alpine:3 buildtime']);
    const json = JSON.parse((await cli('deps', dir, '--json')).stdout);
    assert.equal(json.bases.find((b: { via: string; image: string }) => b.via === 'from' && b.image.includes('golang')).image, 'docker.io/library/golang:1.22');
    const missing = await cli('deps', path.join(dir, 'nowhere'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no Dockerfile at/);
    const bad = await cli('deps', dir, '-f', path.join(dir, 'Bad.Dockerfile'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Bad\.Dockerfile: Dockerfile line 1/);
    const target = await cli('deps', dir, '--target', 'nope');
    assert.equal(target.code, 2);
    assert.match(target.stderr, /target stage "nope" not found/);
  });

  it('graph: an empty graph, a preview with nothing to rebuild, a notify of an image without dependents, bad input', async () => {
    const show = await cli('graph', 'show');
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stderr, /graph is empty/);
    const preview = await cli('graph', 'dependents', BUSYBOX, '--transitive');
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(preview.stderr, /No task would rebuild/);
    const notify = await cli('graph', 'notify', BUSYBOX);
    assert.equal(notify.code, 0, notify.stderr);
    assert.match(notify.stderr, /linux\/amd64 [0-9a-f]{12}/);
    assert.match(notify.stdout, /Nothing to rebuild/);
    const missing = await cli('graph', 'notify', `${REGISTRY}/slipway-test/${uniqueName('absent')}:latest`);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /404|not found|unknown/i);
    const badRef = await cli('graph', 'dependents', 'Not A Reference');
    assert.equal(badRef.code, 2);
    const noWave = await cli('graph', 'rebuilds', 'w-nope');
    assert.equal(noWave.code, 2);
    assert.match(noWave.stderr, /no rebuild wave/);
  });
});
