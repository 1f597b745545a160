// One run of a cmd step: a container from the step's image with its arguments, the workspace mounted at
// /workspace, on the run's network under the step id as host name. Its output goes to the run log line by
// line; a detached one is left running (the run removes it at the end).
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { messageError, engineMessages } from '../engine/json-messages.js';
import { LineSplitter } from './line-splitter.js';
import { WORKSPACE_MOUNT } from './model.js';
import type { RunResources } from './run-resources.js';

export class StepFailedError extends Error {
  override name = 'StepFailedError';
  constructor(
    message: string,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

export interface CmdContext {
  docker: Docker;
  runId: string;
  workspace: string;
  resources: RunResources;
  volumes: Map<string, string>;
  log: (line: string) => void;
  signal: AbortSignal;
}

export async function runCmdStep(step: ResolvedStep, ctx: CmdContext, attempt = 1): Promise<{ exitCode: number }> {
  const { docker, signal } = ctx;
  const image = step.cmd!.image;
  await ensureImage(docker, image, step.pull, ctx.log, signal);
  signal.throwIfAborted();
  const network = ctx.resources.networkFor(step.network);
  const userNetwork = network !== 'host' && network !== 'none';
  const binds = [`${ctx.workspace}:${WORKSPACE_MOUNT}`, ...step.volumeMounts.map((m) => `${ctx.volumes.get(m.name)!}:${m.mountPath}:ro`)];
  const { exposed, bindings } = ports(step);
  const container = await docker.createContainer({
    // A name of its own per run; the step id is the host name other steps use (the network alias).
    name: `slipway-${ctx.runId}-${step.id}${attempt > 1 ? `-${attempt}` : ''}`,
    Image: image,
    ...(step.cmd!.args.length ? { Cmd: step.cmd!.args } : {}),
    ...(step.entryPoint !== undefined ? { Entrypoint: [step.entryPoint] } : {}),
    Env: step.env,
    ...(step.workingDirectory !== undefined ? { WorkingDir: step.workingDirectory } : {}),
    ...(step.user !== undefined ? { User: step.user } : {}),
    ...(userNetwork ? { Hostname: step.id } : {}),
    ExposedPorts: exposed,
    Labels: { 'slipway.task-run': ctx.runId, 'slipway.step': step.id },
    HostConfig: { Binds: binds, NetworkMode: network, Privileged: step.privileged, PortBindings: bindings },
    ...(userNetwork ? { NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [step.id] } } } } : {}),
  });
  ctx.resources.track(container.id, step.keep);
  await container.start();
  const logs = followLog(container, ctx.log);
  if (step.detach) {
    ctx.log(`slipway: step ${step.id} runs detached as ${step.id}`);
    return { exitCode: 0 };
  }
  const kill = () => void container.kill().catch(() => undefined);
  signal.addEventListener('abort', kill, { once: true });
  try {
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const followed = await logs;
    await catchUpLog(container, followed, ctx.log);
    signal.throwIfAborted();
    if (StatusCode !== 0) throw new StepFailedError(`exited with code ${StatusCode}`, StatusCode);
    return { exitCode: 0 };
  } finally {
    signal.removeEventListener('abort', kill);
    await ctx.resources.removeContainer(container.id);
  }
}

/** Streams the container's stdout and stderr to the log, from its start; resolves with the bytes passed on once the output ends. */
async function followLog(container: Docker.Container, log: (line: string) => void): Promise<number> {
  // The log of a container that already exited is still read whole, so a fast step loses no line.
  const stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
  const out = new PassThrough();
  const lines = new LineSplitter(log);
  let received = 0;
  out.on('data', (c: Buffer) => {
    received += c.length;
    lines.write(c);
  });
  container.modem.demuxStream(stream, out, out);
  return new Promise((resolve) => {
    // Flushed once `out` has handed over its last chunk, which may come a tick after the source ends:
    // a last line without a newline (a file printed by cat) would otherwise be lost.
    out.once('end', () => {
      lines.flush();
      resolve(received);
    });
    const end = () => out.end();
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  });
}

/**
 * A follower can end before the daemon has written a container's last output (seen with a step that exits
 * right after printing): once the container is gone, its whole log is read again and what the follower
 * missed is passed on.
 */
async function catchUpLog(container: Docker.Container, received: number, log: (line: string) => void): Promise<void> {
  const raw = (await container.logs({ follow: false, stdout: true, stderr: true }).catch(() => undefined)) as unknown as Buffer | undefined;
  if (!raw || !Buffer.isBuffer(raw)) return;
  const payload = demuxed(raw);
  if (payload.length <= received) return;
  const lines = new LineSplitter(log);
  lines.write(payload.subarray(received));
  lines.flush();
}

/** The payloads of Docker's multiplexed log frames (8-byte header: stream, 3 zero bytes, big-endian length). */
function demuxed(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i + 8 <= raw.length; ) {
    const length = raw.readUInt32BE(i + 4);
    parts.push(raw.subarray(i + 8, i + 8 + length));
    i += 8 + length;
  }
  return Buffer.concat(parts);
}

/** Pulls the image when the daemon lacks it (as docker run does) or when the step says pull: true. */
async function ensureImage(docker: Docker, image: string, force: boolean, log: (line: string) => void, signal: AbortSignal): Promise<void> {
  if (!force && (await docker.getImage(image).inspect().then(() => true, () => false))) return;
  log(`slipway: pulling ${image}`);
  const body = (await docker.pull(image, { abortSignal: signal } as Record<string, unknown>)) as unknown as import('node:stream').Readable;
  for await (const m of engineMessages(body)) {
    const error = messageError(m);
    if (error) throw new StepFailedError(`pull of ${image} failed: ${error}`);
  }
}

export function ports(step: Pick<ResolvedStep, 'ports' | 'expose'>): { exposed: Record<string, object>; bindings: Record<string, { HostIp: string; HostPort: string }[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of step.expose) exposed[p.includes('/') ? p : `${p}/tcp`] = {};
  for (const p of step.ports) {
    // [IP:]HOST:CONTAINER[/proto], or CONTAINER alone for a random host port, as docker run -p. Published on
    // the loopback unless an address is given: a build host should not open ports to its network by default.
    const parts = p.split(':');
    const container = parts.pop()!;
    const host = parts.pop() ?? '';
    const ip = parts.length ? parts.join(':') : '127.0.0.1';
    const key = container.includes('/') ? container : `${container}/tcp`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: ip, HostPort: host });
  }
  return { exposed, bindings };
}
