// CPU time (user + system, ms) spent by processes during a measurement, read from /proc (Linux): our own
// waited-for children (the CLI, curl, tar, docker) through this process's cutime/cstime, and the stack's
// long-running processes (API, worker and its sandboxed child) found by the SLIPWAY_PREFIX in their
// environment. On a 2-core machine, CPU the client side burns is CPU the build does not get.
import fs from 'node:fs';

const TICKS_PER_SECOND = 100;

function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

const ms = (ticks: string | undefined) => (Number(ticks) * 1000) / TICKS_PER_SECOND;

/** CPU of this process's children that have exited and been waited for. */
export function reapedChildrenCpuMs(): number {
  const f = statFields('self');
  // Fields after the command: state is [0], so utime is [11], stime [12], cutime [13], cstime [14].
  return f ? ms(f[13]) + ms(f[14]) : NaN;
}

function processCpuMs(pid: number): number {
  const f = statFields(pid);
  return f ? ms(f[11]) + ms(f[12]) : NaN;
}

/** Processes whose environment carries SLIPWAY_PREFIX=prefix, by role. */
export function stackProcesses(prefix: string): { pid: number; role: 'api' | 'worker' | 'child' }[] {
  const found: { pid: number; role: 'api' | 'worker' | 'child' }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`SLIPWAY_PREFIX=${prefix}`)) continue;
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const role = /src\/api\/main|server\/api\.js/.test(cmd) ? 'api' : /workers\/main|server\/worker\.js/.test(cmd) ? 'worker' : 'child';
      found.push({ pid: Number(entry), role });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

export interface StackCpu {
  api: number;
  /** the worker process and its sandboxed children */
  worker: number;
}

/** Snapshot now; the returned function gives the CPU spent since, per role. */
export function startStackCpu(prefix: string): () => StackCpu {
  const before = new Map(stackProcesses(prefix).map((p) => [p.pid, processCpuMs(p.pid)]));
  return () => {
    const out: StackCpu = { api: 0, worker: 0 };
    for (const p of stackProcesses(prefix)) {
      const spent = processCpuMs(p.pid) - (before.get(p.pid) ?? 0);
      if (!Number.isFinite(spent)) continue;
      if (p.role === 'api') out.api += spent;
      else out.worker += spent;
    }
    return { api: Math.round(out.api), worker: Math.round(out.worker) };
  };
}
