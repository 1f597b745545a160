// The run service as worker processes use it: they start and finish runs and announce every finish on the
// finished channel (task follow-ups and base-image rebuilds wait for it); they never submit runs.
import type { Config } from '../src/config.js';
import { PlatformQueues } from '../src/queue/platform-queues.js';
import type { Redis } from '../src/redis.js';
import { RunLog } from '../src/runs/logs.js';
import { finishPublisher } from '../src/runs/finish-events.js';
import { RunService } from '../src/runs/service.js';
import { RunStore } from '../src/runs/store.js';

export function workerRunService(config: Config, redis: Redis): RunService {
  return new RunService(new RunStore(redis, config.prefix), new RunLog(redis, config.prefix, config.limits.logLines), new PlatformQueues(redis, config.prefix), {
    defaultRegistry: config.defaultRegistry,
    defaultTimeoutSeconds: config.limits.defaultTimeoutSeconds,
    maxTimeoutSeconds: config.limits.maxTimeoutSeconds,
    contextExists: async () => true,
    announceFinished: finishPublisher(redis, config.prefix),
  });
}
