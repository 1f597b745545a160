// `slipway workers`: the worker pool as its heartbeats describe it: where each worker runs, what it builds
// for, what it is building now, and whether it still beats (a lost one's runs end `error`, naming it).
import type { WorkerInfo } from '../../contract/workers.js';
import { ExitCode } from '../exit.js';
import { formatAge, formatDisk, renderTable } from '../format.js';
import type { CliIo } from '../io.js';

export interface WorkersApi {
  listWorkers(): Promise<WorkerInfo[]>;
}

export async function listWorkers(api: WorkersApi, flags: { json?: boolean }, io: CliIo, now = Date.now()): Promise<ExitCode> {
  const workers = await api.listWorkers();
  if (flags.json) io.stdout.write(`${JSON.stringify(workers, null, 2)}\n`);
  else if (workers.length === 0) io.stderr.write('No worker has announced itself: start one with `node dist/server/worker.js`\n');
  else io.stdout.write(`${renderWorkers(workers, now)}\n`);
  return ExitCode.ok;
}

export function renderWorkers(workers: WorkerInfo[], now = Date.now()): string {
  const rows = workers.map((w) => [
    w.name,
    w.live ? 'live' : 'lost',
    w.platforms.join(','),
    w.runs.length ? w.runs.map((r) => `${r.id}${r.task ? ` (${r.task})` : ''}`).join(', ') : '-',
    formatAge(w.lastHeartbeat, now),
    w.disk ? formatDisk(w.disk) : '-',
  ]);
  return renderTable(['WORKER', 'STATE', 'PLATFORMS', 'BUILDING', 'LAST BEAT', 'DISK'], rows);
}
