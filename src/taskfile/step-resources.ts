// What a cmd step may ask for beyond the server's defaults with `docker run` flags: more (or less) memory,
// CPUs and processes, up to the server's maximum, and some of Docker's default capabilities back (steps run
// with every capability dropped). Pure: the loader checks a file with these, and the worker again before it
// creates a container, whatever the API said.

/** Memory, CPUs and processes one step container gets: the server's defaults, or what the step asked for. */
export interface StepResourceAsk {
  memoryBytes?: number;
  cpus?: number;
  /** -1: no limit, which no server maximum allows. */
  pids?: number;
}

/** The most a step may ask for (SLIPWAY_STEP_MAX_*). */
export interface StepMaximum {
  memoryBytes: number;
  cpus: number;
  pids: number;
}

/**
 * Docker's default capabilities (moby's oci/caps/defaults.go): what a plain `docker run` container holds, so
 * what a step may ask back. Any other (SYS_ADMIN, NET_ADMIN, SYS_PTRACE…) widens what a container can do to
 * the shared kernel, and ALL includes them.
 */
export const DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

export class StepResourceError extends Error {
  override name = 'StepResourceError';
}

/** A capability as Docker's `--cap-add` takes it (any case, CAP_ optional), as its canonical name; refuses one outside Docker's defaults. */
export function allowedCapability(name: string): string {
  const canonical = name.trim().toUpperCase().replace(/^CAP_/, '');
  if (DEFAULT_CAPABILITIES.has(canonical)) return canonical;
  const allowed = [...DEFAULT_CAPABILITIES].join(', ');
  if (canonical === 'ALL') throw new StepResourceError(`--cap-add ALL is not allowed: a step may ask back only Docker's default capabilities, each by name (${allowed})`);
  throw new StepResourceError(`--cap-add ${name} is not allowed: a step may ask back only Docker's default capabilities (${allowed})`);
}

const MIB = 1024 * 1024;
/** Docker's least memory for a container: it refuses less when the container is created, too late for a clear message. */
const MIN_MEMORY_BYTES = 6 * MIB;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A size as `docker run --memory` reads it: a number with an optional unit b, k, m, g or t (binary; `512m`, `1.5g`, `2GiB`). */
export function parseMemory(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(text.trim());
  const bytes = m ? Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new StepResourceError(`--memory ${text}: expected a size such as 512m or 2g`);
  if (bytes < MIN_MEMORY_BYTES) throw new StepResourceError(`--memory ${text}: a container needs at least 6 MiB`);
  return bytes;
}

/** `docker run --cpus`: a positive number, to two decimals as Docker counts them. */
export function parseCpus(text: string): number {
  const cpus = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!(cpus >= 0.01)) throw new StepResourceError(`--cpus ${text}: expected a number of CPUs such as 0.5 or 2`);
  return cpus;
}

/** `docker run --pids-limit`: a count; 0 or less is Docker's "no limit", kept as -1. */
export function parsePids(text: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new StepResourceError(`--pids-limit ${text}: expected a number of processes`);
  const pids = Number(text);
  return pids <= 0 ? -1 : pids;
}

/**
 * Why an ask is over the maximum, one message per resource, each naming the setting that allows more; empty
 * when all are within. Zero or less is Docker's "no limit" for each, which no maximum allows.
 */
export function overMaximum(ask: StepResourceAsk, max: StepMaximum): string[] {
  const over: string[] = [];
  // Written as "not within", so a value that is no number at all is over too.
  const within = (value: number, most: number) => value > 0 && value <= most;
  const { memoryBytes, cpus, pids } = ask;
  if (memoryBytes !== undefined && !within(memoryBytes, max.memoryBytes)) {
    over.push(`--memory ${memoryBytes > 0 ? formatMib(memoryBytes) : 'without a limit'} is over this server's maximum of ${formatMib(max.memoryBytes)} for a step (SLIPWAY_STEP_MAX_MEMORY_MIB)`);
  }
  if (cpus !== undefined && !within(cpus, max.cpus)) over.push(`--cpus ${cpus > 0 ? cpus : 'without a limit'} is over this server's maximum of ${max.cpus} for a step (SLIPWAY_STEP_MAX_CPUS)`);
  if (pids !== undefined && !within(pids, max.pids)) {
    over.push(`--pids-limit ${pids > 0 ? pids : 'without a limit'} is over this server's maximum of ${max.pids} processes for a step (SLIPWAY_STEP_MAX_PIDS)`);
  }
  return over;
}

function formatMib(bytes: number): string {
  return `${Math.round((bytes / MIB) * 100) / 100} MiB`;
}
