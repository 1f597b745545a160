// What the numbers were measured on: they mean little without the machine, its load and the commit.
import os from 'node:os';
import { exec } from './exec.js';
import { ROOT } from './options.js';

export interface MachineInfo {
  hostname: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  dockerEngine: string;
  commit: string;
  /** The working tree had changes that are not committed. */
  dirty: boolean;
  loadAverage: number[];
  /**
   * What the Engine held when the run began. Nothing prunes it, and a full store slows the Engine's own
   * work (`docker push` among it), which moves every ratio: runs are comparable only with it in view.
   */
  engineStore?: { images: number; buildCacheRecords: number; buildCacheSize: string };
}

export async function machineInfo(): Promise<MachineInfo> {
  const engine = await exec([['docker', ['version', '--format', '{{.Server.Version}}']]]);
  const commit = await exec([['git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']]]);
  const status = await exec([['git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'workers']]]);
  const df = await exec([['docker', ['system', 'df', '--format', '{{.Type}}\t{{.TotalCount}}\t{{.Size}}']]]);
  return {
    hostname: os.hostname(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    dockerEngine: engine.stdout.trim() || 'unknown',
    commit: commit.stdout.trim() || 'unknown',
    dirty: status.stdout.trim() !== '',
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    engineStore: parseEngineStore(df.stdout),
  };
}

/** `docker system df` lines (type, count, size) as the store's counts; undefined when they are not there. */
export function parseEngineStore(text: string): MachineInfo['engineStore'] {
  const rows = new Map(text.trim().split('\n').map((line) => {
    const [type = '', count = '', size = ''] = line.split('\t');
    return [type, { count: Number(count), size }] as const;
  }));
  const images = rows.get('Images');
  const cache = rows.get('Build Cache');
  if (!images || !cache || !Number.isFinite(images.count) || !Number.isFinite(cache.count)) return undefined;
  return { images: images.count, buildCacheRecords: cache.count, buildCacheSize: cache.size };
}
