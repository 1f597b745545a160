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
}

export async function machineInfo(): Promise<MachineInfo> {
  const engine = await exec([['docker', ['version', '--format', '{{.Server.Version}}']]]);
  const commit = await exec([['git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']]]);
  const status = await exec([['git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'workers']]]);
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
  };
}
