// Where a build step's context and Dockerfile are on the worker, read as docker build reads them in ACR's step
// container (relative to the step's working directory under /workspace), and never outside the source,
// symbolic links included. Also how cmd steps publish ports.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPaths } from '../../workers/steps/build-step.js';
import { ports } from '../../workers/builder/docker/docker-containers.js';

describe('build step paths', () => {
  let ws: string;
  before(async () => {
    ws = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-paths-')));
    await fs.mkdir(path.join(ws, 'app/docker'), { recursive: true });
    await fs.writeFile(path.join(ws, 'Dockerfile'), 'FROM x\n');
    await fs.writeFile(path.join(ws, 'app/Dockerfile'), 'FROM x\n');
    await fs.writeFile(path.join(ws, 'app/docker/prod.dockerfile'), 'FROM x\n');
    await fs.symlink('/etc', path.join(ws, 'escape'));
  });
  after(() => fs.rm(ws, { recursive: true, force: true }));

  const ok: [string, string, string | undefined, string, string][] = [
    ['/workspace', '.', undefined, '', 'Dockerfile'],
    ['/workspace', 'app', undefined, 'app', 'Dockerfile'],
    ['/workspace', 'app', 'app/docker/prod.dockerfile', 'app', 'docker/prod.dockerfile'],
    ['/workspace/app', '.', 'docker/prod.dockerfile', 'app', 'docker/prod.dockerfile'],
    ['/workspace/app/docker', '..', undefined, 'app', 'Dockerfile'],
    ['/workspace', '/workspace/app', '/workspace/app/Dockerfile', 'app', 'Dockerfile'],
  ];
  for (const [wd, context, file, wantDir, wantFile] of ok) {
    it(`in ${wd}: ${context} ${file ?? ''}`, async () => {
      assert.deepEqual(await buildPaths(ws, wd, context, file), { contextDir: path.join(ws, wantDir), dockerfile: wantFile });
    });
  }
  const bad: [string, string, string | undefined, RegExp][] = [
    ['/workspace', '..', undefined, /the build context \.\. is outside the source/],
    ['/workspace', '/etc', undefined, /outside the source/],
    ['/workspace', 'escape', undefined, /leads outside the source/],
    ['/workspace', 'nope', undefined, /does not exist/],
    ['/workspace', 'app', 'Dockerfile', /must be inside the build context app/],
    ['/workspace', 'app', 'app/missing', /Dockerfile missing not found/],
  ];
  for (const [wd, context, file, message] of bad) {
    it(`refuses in ${wd}: ${context} ${file ?? ''}`, async () => assert.rejects(buildPaths(ws, wd, context, file), { name: 'StepFailedError', message }));
  }
});

describe('cmd step ports', () => {
  it('publishes on the loopback unless an address is given', () => {
    assert.deepEqual(ports({ ports: ['8000:80', '53/udp', '0.0.0.0:9000:90'], expose: ['81'] }), {
      exposed: { '81/tcp': {}, '80/tcp': {}, '53/udp': {}, '90/tcp': {} },
      bindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8000' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }], '90/tcp': [{ HostIp: '0.0.0.0', HostPort: '9000' }] },
    });
  });
});
