// Entry point of the worker process: `node workers/main.js [--platforms linux/amd64,linux/arm64]`.
import { Command } from 'commander';
import { loadConfig } from '../src/config.js';
import { choosePlatforms, detectPlatforms } from './platforms.js';
import { startWorker } from './worker.js';

const opts = new Command('slipway-worker')
  .option('--platforms <list>', 'only serve these platforms (comma-separated); default: every platform this machine can build')
  .parse()
  .opts<{ platforms?: string }>();

// No top-level await: the bundle is CommonJS, which Node can start from V8's code cache (scripts/code-cache.cjs).
async function main(): Promise<void> {
  const config = loadConfig();
  const platforms = choosePlatforms(await detectPlatforms(config.binfmtDir), opts.platforms?.split(',').map((p) => p.trim()).filter(Boolean));
  const worker = await startWorker(config, platforms);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // Running builds get a grace period to finish; past it the process exits and their runs are marked error.
      setTimeout(() => process.exit(1), 30_000).unref();
      void worker.close().then(() => process.exit(0));
    });
  }
}

// A start that fails ends the process as an uncaught error would: its stack on stderr, exit code 1.
main().catch((err: unknown) => {
  process.exitCode = 1;
  throw err;
});
