// What a test's child process holds, read from /proc as an operator would: its TCP connections to a port
// (e.g. Redis's), and its memory. Linux only, as the stack is.
import fs from 'node:fs/promises';

/** Established TCP connections of process `pid` to `port` on any address. */
export async function connectionsTo(pid: number, port: number): Promise<number> {
  const inodes = new Set<string>();
  for (const fd of await fs.readdir(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
    if (m) inodes.add(m[1]!);
  }
  let count = 0;
  for (const table of ['tcp', 'tcp6']) {
    const rows = (await fs.readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const row of rows) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const cols = row.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const remotePort = parseInt(cols[2]!.split(':').at(-1)!, 16);
      if (remotePort === port && cols[3] === '01' && inodes.has(cols[9]!)) count++;
    }
  }
  return count;
}

/** The process's resident memory now and at its peak (VmRSS, VmHWM), in bytes. */
export async function residentMemory(pid: number): Promise<{ now: number; peak: number }> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { now: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Starts the process's peak (VmHWM) again from its resident memory now (Linux's clear_refs, as root). */
export async function resetPeakMemory(pid: number): Promise<void> {
  await fs.writeFile(`/proc/${pid}/clear_refs`, '5');
}
