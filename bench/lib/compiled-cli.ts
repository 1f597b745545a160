// The CLI as it ships (`dist/cli/slipway.js`, bundled by scripts/bundle-cli.ts), built for the
// benchmark into a temporary directory so the repository's dist/ is left alone.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleCliInto } from '../../scripts/bundle-cli.js';

export interface CompiledCli {
  main: string;
  compileMs: number;
  cleanup(): Promise<void>;
}

export async function compileCli(): Promise<CompiledCli | { error: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-cli-'));
  const cleanup = () => fs.rm(dir, { recursive: true, force: true });
  const started = performance.now();
  try {
    const { main } = await bundleCliInto(dir);
    return { main, compileMs: performance.now() - started, cleanup };
  } catch (err) {
    await cleanup();
    return { error: `bundling the CLI failed: ${(err as Error).message.slice(0, 1000)}` };
  }
}
