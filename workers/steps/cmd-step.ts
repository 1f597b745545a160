// One run of a cmd step: a container from the step's image with its arguments, the workspace mounted at
// /workspace, on the run's network under the step id as host name. Its output goes to the run log line by
// line; a detached one is left running (the run removes it at the end).
import type { ContainerRuntime } from '../builder/container-runtime.js';
import { EngineError } from '../builder/image-builder.js';
import type { ResolvedStep } from '../../src/taskfile/model.js';
import { WORKSPACE_MOUNT } from './model.js';
import type { RunImages } from './run-images.js';
import { RUN_LABEL, type RunResources } from './run-resources.js';

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
  containers: ContainerRuntime;
  scope: string;
  workspace: string;
  resources: RunResources;
  images: RunImages;
  volumes: Map<string, string>;
  /** The run's platform: step images are pulled and run for it, under QEMU when it is not the host's. */
  platform: string;
  log: (line: string) => void;
  signal: AbortSignal;
  /** Told the names a pulled image is known by on the Engine, as it is pulled and once the step is done with it. */
  imageUsed?: (names: string[]) => void;
}

export async function runCmdStep(step: ResolvedStep, ctx: CmdContext, attempt = 1): Promise<{ exitCode: number }> {
  const { containers, signal } = ctx;
  // An image an earlier step of this run built is run by its run-scoped name; any other is pulled every
  // time and run by the digest the registry served, never from a tag some other run left on the Engine.
  const local = ctx.images.localFor(step.cmd!.image);
  // Recorded before the pull too, so the janitor does not take the name from under a pull under way.
  const pulledNames = (digested: string) => [...new Set([step.cmd!.image, digested])];
  if (!local) ctx.imageUsed?.([step.cmd!.image]);
  const image =
    local ??
    (await containers.pullImage(step.cmd!.image, ctx.log, signal, ctx.platform).catch((err: unknown) => {
      throw err instanceof EngineError ? new StepFailedError(err.message) : err;
    }));
  if (!local) ctx.imageUsed?.(pulledNames(image));
  try {
    return await runPulled(step, ctx, image, attempt);
  } finally {
    if (!local) ctx.imageUsed?.(pulledNames(image));
  }
}

async function runPulled(step: ResolvedStep, ctx: CmdContext, image: string, attempt: number): Promise<{ exitCode: number }> {
  const { containers, signal } = ctx;
  signal.throwIfAborted();
  checkPublishedPorts(step.ports);
  const limits = ctx.resources.limitsFor(step);
  const capAdd = ctx.resources.capabilitiesFor(step);
  ctx.resources.reserveContainer();
  const network = await ctx.resources.networkFor(step.network);
  const container = await containers.createContainer({
    // A name of its own per run; the step id is the host name other steps use (the network alias).
    name: `${ctx.scope}-${step.id}${attempt > 1 ? `-${attempt}` : ''}`,
    image,
    platform: ctx.platform,
    args: step.cmd!.args,
    ...(step.entryPoint !== undefined ? { entrypoint: step.entryPoint } : {}),
    env: step.env,
    ...(step.workingDirectory !== undefined ? { workingDir: step.workingDirectory } : {}),
    ...(step.user !== undefined ? { user: step.user } : {}),
    network,
    hostname: step.id,
    mounts: [{ source: ctx.workspace, target: WORKSPACE_MOUNT, readOnly: false }, ...step.volumeMounts.map((m) => ({ source: ctx.volumes.get(m.name)!, target: m.mountPath, readOnly: true }))],
    ports: step.ports,
    expose: step.expose,
    privileged: step.privileged,
    limits,
    capAdd,
    labels: { [RUN_LABEL]: ctx.scope, 'slipway.step': step.id },
  });
  ctx.resources.track(container.id, step.keep);
  await container.start(ctx.log);
  if (step.detach) {
    ctx.log(`slipway: step ${step.id} runs detached as ${step.id}`);
    return { exitCode: 0 };
  }
  const kill = () => void container.kill();
  signal.addEventListener('abort', kill, { once: true });
  // A timeout or cancel that came while the container was being made or started has fired already, and no
  // event comes again: without this the step would run to its own end.
  if (signal.aborted) kill();
  try {
    const exitCode = await container.wait();
    signal.throwIfAborted();
    if (exitCode !== 0) throw new StepFailedError(`exited with code ${exitCode}`, exitCode);
    return { exitCode: 0 };
  } finally {
    signal.removeEventListener('abort', kill);
    await ctx.resources.removeContainer(container.id);
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

/** A step publishes ports on the loopback only: a build host must not open ports to its network. */
export function checkPublishedPorts(ports: string[]): void {
  for (const p of ports) {
    const parts = p.split(':');
    if (parts.length > 2 && !LOOPBACK.has(parts.slice(0, -2).join(':'))) throw new StepFailedError(`port ${p}: steps publish ports on 127.0.0.1 only; leave the address out`);
  }
}
