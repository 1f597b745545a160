// The CLI as it ships (`node dist/cli/slipway.js`, bundled by scripts/bundle-cli.ts), built for the
// benchmark into a temporary directory so the repository's dist/ is left alone. package.json is copied in
// beside it so that the bundle is an ES module and the CLI's version resolves as it would from dist/.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleCli, CLI_BUNDLE } from '../../scripts/bundle-cli.js';

export interface CompiledCli {
  main: string;
  compileMs: number;
  cleanup(): Promise<void>;
}

export async function compileCli(root: string): Promise<CompiledCli | { error: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-cli-'));
  const cleanup = () => fs.rm(dir, { recursive: true, force: true });
  await fs.copyFile(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  const started = performance.now();
  try {
    await bundleCli(path.join(dir, path.dirname(CLI_BUNDLE)));
  } catch (err) {
    await cleanup();
    return { error: `bundling the CLI failed: ${(err as Error).message.slice(0, 1000)}` };
  }
  return { main: path.join(dir, CLI_BUNDLE), compileMs: performance.now() - started, cleanup };
}
