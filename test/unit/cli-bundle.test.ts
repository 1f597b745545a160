// The CLI as it ships is one bundle (scripts/bundle-cli.ts). Every `slipway build` pays for what its
// start loads, so what the build path reaches is checked here: none of the server's packages, and zod's
// small build only. The bundle itself must run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { bundleCliInto } from '../../scripts/bundle-cli.js';

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
