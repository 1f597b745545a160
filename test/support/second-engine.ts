// A Docker Engine of a test's own, beside the machine's shared one: its own data and exec roots, socket,
// pid file, managed containerd and bridge, so a test can SIGKILL and restart it (or fill and prune it)
// without touching the Engine every other test and agent builds on. Also a second host's Engine, for tests
// of several workers each on its own Engine.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Debian's 20.10 client, which builds with BuildKit (the Docker 28 client on PATH has no buildx). */
const DOCKER_CLI = '/usr/bin/docker';
const START_MS = 60_000;

export interface TestEngine {
  /** The Engine's unix socket: SLIPWAY_DOCKER_SOCKET for a worker built on it. */
  socket: string;
  /** Runs Debian's docker client against this Engine and resolves with its output. */
  docker(args: string[]): Promise<string>;
  /** Starts it (again) from the same data root, and resolves once it answers. */
  start(): Promise<void>;
  /** Kills dockerd with `signal` and waits for it to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  pid(): number | undefined;
  /** Stops it, removes its bridge and its files. */
  close(): Promise<void>;
}

/**
 * Starts an Engine with `images` pulled into it (from the test registry, as the shared Engine got its
 * own). Needs root, as dockerd does.
 */
export async function startSecondEngine(opts: { images?: string[] } = {}): Promise<TestEngine> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-engine-'));
  const socket = path.join(dir, 'docker.sock');
  const pidFile = path.join(dir, 'dockerd.pid');
  const bridge = await createBridge();
  let child: ChildProcess | undefined;
  let log: fs.FileHandle | undefined;
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  const docker = async (args: string[]) => (await run(DOCKER_CLI, args, { env, maxBuffer: 16 * 1024 * 1024 })).stdout;
  const answers = () => docker(['version', '--format', '{{.Server.Version}}']).then(() => true, () => false);

  // containerd runs apart from dockerd, as a packaged install runs it (a service of its own): a killed
  // dockerd leaves it and its containers running, and the restarted dockerd reconnects to it. (A containerd
  // that dockerd starts itself outlives a SIGKILL for a while and stops the next dockerd from starting.)
  const containerd = await startContainerd(path.join(dir, 'containerd')).catch(async (err: unknown) => {
    await bridge.remove();
    throw err;
  });
  const engine: TestEngine = {
    socket,
    docker,
    async start() {
      // A pid file left by a killed dockerd stops the next one from starting.
      await fs.rm(pidFile, { force: true });
      log ??= await fs.open(path.join(dir, 'dockerd.log'), 'a');
      // No NAT or firewall rules: the shared Engine owns the host's iptables. Builds need a bridge for
      // their RUN steps, hence one of this Engine's own.
      child = spawn(
        'dockerd',
        [
          ...['--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', pidFile, '--host', `unix://${socket}`],
          ...['--containerd', containerd.socket, '--containerd-namespace', 'slipway-test', '--containerd-plugins-namespace', 'slipway-test-plugins'],
          ...['--bridge', bridge.name, '--iptables=false', '--ip6tables=false', '--ip-masq=false'],
        ],
        { stdio: ['ignore', log.fd, log.fd] },
      );
      const started = Date.now();
      while (!(await answers())) {
        if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}: ${(await fs.readFile(path.join(dir, 'dockerd.log'), 'utf8')).trim().split('\n').slice(-3).join('\n')}`);
        if (Date.now() - started > START_MS) throw new Error(`dockerd did not answer on ${socket}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill(signal) {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill(signal);
      await exited;
    },
    pid: () => child?.pid,
    async close() {
      const stopping = engine.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 20_000);
      await stopping;
      clearTimeout(timer);
      await log?.close();
      await containerd.stop();
      await bridge.remove();
      // A dockerd that was killed may leave its overlay mounts behind; they would make the removal fail.
      for (const mount of await mountsUnder(dir)) await run('umount', ['-l', mount]).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await engine.start();
    for (const image of opts.images ?? []) await docker(['pull', '-q', image]);
  } catch (err) {
    await engine.close();
    throw err;
  }
  return engine;
}

/** containerd with its own sockets, root and state under `dir`, whatever /etc/containerd says. */
async function startContainerd(dir: string): Promise<{ socket: string; stop(): Promise<void> }> {
  await fs.mkdir(dir, { recursive: true });
  const socket = path.join(dir, 'containerd.sock');
  const config = path.join(dir, 'config.toml');
  await fs.writeFile(
    config,
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      `[grpc]\n  address = "${socket}"`,
      `[ttrpc]\n  address = "${socket}.ttrpc"`,
      `[debug]\n  address = "${dir}/debug.sock"`,
      `[plugins."io.containerd.internal.v1.opt"]\n  path = "${dir}/opt"`,
      '',
    ].join('\n'),
  );
  const log = await fs.open(path.join(dir, 'containerd.log'), 'a');
  const child = spawn('containerd', ['--config', config], { stdio: ['ignore', log.fd, log.fd] });
  const exited = new Promise((r) => child.once('exit', r));
  const started = Date.now();
  while (!(await fs.stat(socket).then(() => true, () => false))) {
    if (child.exitCode !== null) throw new Error(`containerd exited with ${child.exitCode}; see ${dir}/containerd.log`);
    if (Date.now() - started > START_MS) throw new Error(`containerd did not listen on ${socket}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await log.close();
    },
  };
}

/** A bridge with a free /24 of 10.200.0.0/13, named so it is clearly a test's (at most 15 characters). */
async function createBridge(): Promise<{ name: string; remove(): Promise<void> }> {
  const name = `slpw-${randomBytes(4).toString('hex')}`;
  const used = (await run('ip', ['-4', '-o', 'addr'])).stdout;
  for (let tries = 0; tries < 50; tries++) {
    const net = `10.${200 + Math.floor(Math.random() * 8)}.${Math.floor(Math.random() * 256)}`;
    if (used.includes(` ${net}.`)) continue;
    await run('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${net}.1/24`, 'dev', name]);
    await run('ip', ['link', 'set', name, 'up']);
    return { name, remove: () => run('ip', ['link', 'delete', name]).then(() => undefined, () => undefined) };
  }
  throw new Error('no free /24 in 10.200.0.0/13 for a test bridge');
}

async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
  return mounts
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((mount) => mount.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}
