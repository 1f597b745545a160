// Values of EXPOSE and STOPSIGNAL, checked the way Docker checks them (go-connections nat.ParsePortSpecs,
// moby/sys signal.ParseSignal), so an image we write is one Docker would have written. Pure.

export class ConfigValueError extends Error {
  override name = 'ConfigValueError';
}

/** `80`, `80/udp`, `8000-8002/tcp` → the ExposedPorts keys `80/tcp`, `8000/tcp`, … */
export function exposedPortKeys(spec: string): string[] {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/([a-zA-Z]+))?$/.exec(spec);
  if (!match) throw new ConfigValueError(`invalid port ${JSON.stringify(spec)} (port[-port][/tcp|udp|sctp])`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  const protocol = (match[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw new ConfigValueError(`invalid protocol ${JSON.stringify(match[3])} in ${JSON.stringify(spec)}`);
  if (first < 1 || last > 65535 || last < first) throw new ConfigValueError(`invalid port range ${JSON.stringify(spec)}`);
  const keys: string[] = [];
  for (let port = first; port <= last; port++) keys.push(`${port}/${protocol}`);
  return keys;
}

const SIGNAL_NAMES = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR',
  'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ',
]);

/** Throws unless `signal` is a signal number or a name like SIGTERM / TERM / SIGRTMIN+3. */
export function checkStopSignal(signal: string): void {
  if (/^\d+$/.test(signal)) {
    if (Number(signal) >= 1 && Number(signal) <= 64) return;
    throw new ConfigValueError(`invalid signal number ${signal}`);
  }
  const name = signal.toUpperCase().replace(/^SIG/, '');
  if (SIGNAL_NAMES.has(name) || /^RTM(IN|AX)([+-]\d+)?$/.test(name)) return;
  throw new ConfigValueError(`invalid signal ${JSON.stringify(signal)}`);
}
