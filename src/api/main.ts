// Entry point of the API process.
import { loadConfig } from '../config.js';
import { startApiServer } from './server.js';

// No top-level await: the bundle is CommonJS, which Node can start from V8's code cache (scripts/code-cache.cjs).
async function main(): Promise<void> {
  const config = loadConfig();
  const api = await startApiServer(config);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      const timer = setTimeout(() => process.exit(1), 10_000);
      timer.unref();
      void api.close().then(() => process.exit(0));
    });
  }
}

// A start that fails ends the process as an uncaught error would: its stack on stderr, exit code 1.
main().catch((err: unknown) => {
  process.exitCode = 1;
  throw err;
});
