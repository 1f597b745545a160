// The CLI as it ships (`node dist/src/cli/main.js`), compiled for the benchmark into a temporary
// directory so the repository's dist/ is left alone. node_modules and package.json are linked in
// beside it so that packages and the CLI's version resolve as they would from dist/.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exec } from './exec.js';

export interface CompiledCli {
  main: string;
  compileMs: number;
  cleanup(): Promise<void>;
}

export async function compileCli(root: string): Promise<CompiledCli | { error: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-cli-'));
  const cleanup = () => fs.rm(dir, { recursive: true, force: true });
  const tsconfig = path.join(dir, 'tsconfig.json');
  await fs.writeFile(
    tsconfig,
    JSON.stringify({ extends: path.join(root, 'tsconfig.json'), include: [path.join(root, 'src')], compilerOptions: { rootDir: root, outDir: path.join(dir, 'dist'), sourceMap: false } }),
  );
  await fs.symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  await fs.copyFile(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  // Type errors elsewhere in a tree that is being worked on do not stop tsc from emitting the CLI.
  const res = await exec([[path.join(root, 'node_modules/.bin/tsc'), ['-p', tsconfig]]], { cwd: root });
  const main = path.join(dir, 'dist/src/cli/main.js');
  if (!existsSync(main)) {
    await cleanup();
    return { error: `tsc emitted no ${main} (exit ${res.code}): ${res.stdout.slice(-1000)}` };
  }
  return { main, compileMs: res.ms, cleanup };
}
