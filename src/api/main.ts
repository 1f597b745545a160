// Entry point of the API process.
import { loadConfig } from '../config.js';
import { startApiServer } from './server.js';

const config = loadConfig();
const api = await startApiServer(config);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    void api.close().then(() => process.exit(0));
  });
}
