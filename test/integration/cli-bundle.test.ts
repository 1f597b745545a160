// The CLI as it ships is one bundle (scripts/bundle-cli.ts). Every `slipway build` pays for what its
// start loads, so what the build path reaches is checked here: none of the server's packages, and zod's
// small build only. The bundle itself must run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { SourceMap } from 'node:module';
import { bundleCliInto, POSIX_LAUNCHER } from '../../scripts/bundle-cli.js';
import { BASE_IMAGE } from '../support/stack.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const exec = promisify(execFile);

/** The source files a command's start loads: the entry's static imports, then the command's chunk and its own. */
function loadedBy(meta: Metafile, entry: string, lazy: readonly string[]): Set<string> {
  const outputs = Object.entries(meta.outputs).filter(([out]) => out.endsWith('.js'));
  const byEntry = new Map(outputs.flatMap(([out, o]) => (o.entryPoint ? [[o.entryPoint, out] as const] : [])));
  const seen = new Set<string>();
  const visit = (out: string) => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const imp of meta.outputs[out]!.imports) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  for (const source of [entry, ...lazy]) {
    const out = byEntry.get(source);
    assert.ok(out, `${source} is not a chunk of its own: the CLI no longer imports it lazily`);
    visit(out);
  }
  return new Set([...seen].flatMap((out) => Object.keys(meta.outputs[out]!.inputs)));
}

describe('the bundled CLI', () => {
  let dir: string;
  let main: string;
  let meta: Metafile;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-cli-bundle-'));
    ({ main, metafile: meta } = await bundleCliInto(dir));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('runs and knows its version', async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await exec(process.execPath, [main, '--version']);
    assert.equal(stdout.trim(), pkg.version);
  });

  it('answers a usage error with exit code 2 and a one-line reason', async () => {
    const err = await exec(process.execPath, [main, 'build', path.join(ROOT, 'examples/hello'), '-t', 'Bad Image!']).then(
      () => assert.fail('an unknown platform was accepted'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 2);
    assert.match(err.stderr, /^slipway: --tag "Bad Image!": [^\n]+\n$/);
  });

  it('loads neither the server packages nor full zod when it starts a build', () => {
    const loaded = [...loadedBy(meta, 'src/cli/main.ts', ['src/cli/connect.ts', 'src/cli/commands/build.ts'])];
    assert.ok(loaded.includes('src/cli/context-upload.ts'), 'the build path was not found in the bundle');
    assert.ok(loaded.some((f) => f.startsWith('node_modules/zod/v4/mini/')), 'the build path no longer validates with zod/mini');
    for (const pkg of ['zod/v4/classic/', 'yaml/', 'pino/', 'dockerode/', 'bullmq/', 'ioredis/', 'express/', 'dockerfile-ast/']) {
      const found = loaded.filter((f) => f.startsWith(`node_modules/${pkg}`));
      assert.deepEqual(found, [], `slipway build loads node_modules/${pkg} at start`);
    }
    const server = loaded.filter((f) => /^(src\/(api|queue|graph|taskfile|triggers|registry)|workers)\//.test(f));
    assert.deepEqual(server, [], 'slipway build loads server modules at start');
  });
});

// The bin's launcher (its first two lines) moves NODE_EXTRA_CA_CERTS aside, since Node would load the file at
// every start; the CLI must still trust that file when it speaks https, as `node slipway.js` does.
describe('the bundled CLI run as its bin, with NODE_EXTRA_CA_CERTS', () => {
  let dir: string;
  let main: string;
  let server: https.Server;
  let url: string;
  let cert: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-cli-ca-'));
    ({ main } = await bundleCliInto(dir));
    cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=slipway test', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
    server = https.createServer({ key: await fs.readFile(key), cert: await fs.readFile(cert) }, (req, res) => {
      res.writeHead(req.url?.startsWith('/v1/runs') ? 200 : 404, { 'content-type': 'application/json' }).end('{"runs":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const { NODE_EXTRA_CA_CERTS: _, ...envWithout } = process.env;
  const run = (command: string[], env: NodeJS.ProcessEnv) =>
    exec(command[0]!, [...command.slice(1), '--server', url, 'runs', 'list'], { env }).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );

  it('is executable, and Node does not read the CA file when a command starts', async () => {
    // Node warns at start about a CA file it cannot load; run as its bin, the CLI never tried.
    const env = { ...envWithout, NODE_EXTRA_CA_CERTS: path.join(dir, 'missing.pem') };
    const direct = await exec(main, ['--version'], { env });
    assert.equal(direct.stderr, '');
    const viaNode = await exec(process.execPath, [main, '--version'], { env });
    assert.match(viaNode.stderr, /Ignoring extra certs from `[^`]*missing\.pem`/, 'Node no longer loads the file at start: the bin line may be moot');
  });

  it('starts through busybox sh and env as well (Alpine), handing over the file and every argument', async () => {
    // A stand-in for node that prints what it was given, one item per line.
    const fake = path.join(dir, 'fake-bin');
    await fs.mkdir(fake, { recursive: true });
    await fs.writeFile(path.join(fake, 'node'), '#!/bin/sh\nprintf "%s\\n" "deferred=$SLIPWAY_DEFERRED_CA_CERTS" "node=$NODE_EXTRA_CA_CERTS" "$@"\n', { mode: 0o755 });
    const { stdout } = await exec('docker', ['run', '--rm', '-e', 'PATH=/fake:/bin:/usr/bin', '-e', 'NODE_EXTRA_CA_CERTS=/etc/my ca.pem',
      '-v', `${fake}:/fake:ro`, '-v', `${path.dirname(main)}:/cli:ro`, BASE_IMAGE, '/cli/slipway.js', 'build', 'a b', '--x=$HOME', '']);
    assert.deepEqual(stdout.split('\n'), ['deferred=/etc/my ca.pem', 'node=', '/cli/slipway.js', 'build', 'a b', '--x=$HOME', '', '']);
  });

  it('keeps its source map in line with the launcher it starts with', async () => {
    const text = await fs.readFile(main, 'utf8');
    assert.ok(text.startsWith(`${POSIX_LAUNCHER}\n`), 'the bundle does not start with the launcher');
    const map = new SourceMap(JSON.parse(await fs.readFile(`${main}.map`, 'utf8')));
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('function needsTaskCommands('));
    assert.notEqual(at, -1);
    const entry = map.findEntry(at, 0) as { originalSource?: string; originalLine?: number };
    const source = (await fs.readFile(path.join(ROOT, 'src/cli/program.ts'), 'utf8')).split('\n');
    assert.ok(entry.originalSource?.endsWith('src/cli/program.ts'), `mapped to ${entry.originalSource}`);
    assert.match(source[entry.originalLine!]!, /^export function needsTaskCommands\(/);
  });

  it('trusts the file at its first https connection', async () => {
    const out = await run([main], { ...envWithout, NODE_EXTRA_CA_CERTS: cert });
    assert.deepEqual(out, { code: 0, stderr: 'No runs\n' });
  });

  it('trusts it as well when Node loads it (`node slipway.js`)', async () => {
    const out = await run([process.execPath, main], { ...envWithout, NODE_EXTRA_CA_CERTS: cert });
    assert.deepEqual(out, { code: 0, stderr: 'No runs\n' });
  });

  it('refuses the same server without the file', async () => {
    const out = await run([main], envWithout);
    assert.equal(out.code, 3);
    assert.match(out.stderr, /^slipway: cannot reach the Slipway API at https:\/\/127\.0\.0\.1:\d+: self-signed certificate/);
  });

  it('warns as Node does about a file it cannot read, and goes on with the bundled roots', async () => {
    const missing = path.join(dir, 'missing.pem');
    const out = await run([main], { ...envWithout, NODE_EXTRA_CA_CERTS: missing });
    assert.equal(out.code, 3);
    const lines = out.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, new RegExp(`^Warning: Ignoring extra certs from \`${missing}\`, load failed: ENOENT`));
    assert.match(lines[1]!, /self-signed certificate/);
  });

  it('takes a file without certificates as one that adds none', async () => {
    const junk = path.join(dir, 'junk.pem');
    await fs.writeFile(junk, 'not a certificate\n');
    const out = await run([main], { ...envWithout, NODE_EXTRA_CA_CERTS: junk });
    assert.equal(out.code, 3);
    assert.match(out.stderr, /self-signed certificate/);
  });
});
