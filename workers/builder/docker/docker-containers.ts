// The ContainerRuntime on Docker Engine through dockerode: the networks and containers of task-file cmd
// steps, with each container's output read whole into the run log. A request the Engine never answered
// because it went away rejects with EngineUnavailableError, so the run is the system's fault, not the step's.
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { ContainerRuntime, LabelledResource, StepContainer, StepContainerSpec } from '../container-runtime.js';
import { EngineError } from '../image-builder.js';
import { engineLost } from './engine-lost.js';
import type { CredentialsProvider } from '../../../src/registry/auth.js';
import { parseImageReference } from '../../../src/registry/reference.js';
import { registryAuthConfig } from './registry-auth.js';
import { followLog, missedOutput } from './container-logs.js';
import { waitForExit } from './container-wait.js';
import { engineId } from './engine-id.js';
import { nameAndTag } from './docker-engine.js';
import { engineMessages, messageError } from './json-messages.js';
import { loginRefusal } from './push-errors.js';

export class DockerContainers implements ContainerRuntime {
  private readonly docker: Docker;
  /** Rethrows an error as EngineUnavailableError when it means the Engine went away. */
  private readonly lost: (err: unknown) => never;

  constructor(
    private readonly socketPath: string,
    /** The run's registry logins, for pulling private step images. */
    private readonly credentials?: CredentialsProvider,
  ) {
    this.docker = new Docker({ socketPath });
    this.lost = rethrowLost(socketPath);
  }

  async pullImage(image: string, log: (line: string) => void, signal: AbortSignal, platform?: string): Promise<string> {
    log(`slipway: pulling ${image}`);
    const registry = registryOf(image);
    const pullError = (message: string) =>
      (registry && loginRefusal(registry, 'pull', image, message)) || new EngineError(`pull of ${image} from ${registry ?? 'its registry'} failed: ${message}`);
    const authconfig = this.credentials && registry ? await registryAuthConfig(this.credentials, registry) : undefined;
    const body = (await this.docker.pull(image, { abortSignal: signal, ...(platform ? { platform } : {}), ...(authconfig ? { authconfig } : {}) } as Record<string, unknown>).catch((err: unknown) => {
      // The Engine answers a refused pull with an HTTP error before any stream: name the registry, as a refused pull in the stream does.
      if (signal.aborted) throw err;
      throw engineLost(err, this.socketPath) ?? pullError(err instanceof Error ? err.message : String(err));
    })) as unknown as Readable;
    let digest: string | undefined;
    try {
      for await (const m of engineMessages(body)) {
        const error = messageError(m);
        if (error) throw pullError(error);
        digest = /^Digest: (sha256:[a-f0-9]{64})$/.exec(m.status ?? '')?.[1] ?? digest;
      }
    } catch (err) {
      if (signal.aborted) throw err;
      this.lost(err);
    }
    if (image.includes('@')) return image;
    if (!digest) throw new EngineError(`pull of ${image} ended without a digest`);
    return `${nameAndTag(image).name}@${digest}`;
  }

  engineId(): Promise<string> {
    return engineId(this.docker, this.socketPath).catch(this.lost);
  }

  async createNetwork(name: string, opts: { ipv6: boolean; labels: Record<string, string> }): Promise<void> {
    await this.docker.createNetwork({ Name: name, Driver: 'bridge', EnableIPv6: opts.ipv6, CheckDuplicate: true, Labels: opts.labels }).catch(this.lost);
  }

  async createContainer(spec: StepContainerSpec): Promise<StepContainer> {
    const userNetwork = spec.network !== 'host' && spec.network !== 'none';
    const { exposed, bindings } = ports(spec);
    const container = await this.docker.createContainer({
      name: spec.name,
      // A query parameter, as `name` is: the Engine picks the image's variant for it and runs it emulated.
      ...(spec.platform ? { platform: spec.platform } : {}),
      Image: spec.image,
      ...(spec.args.length ? { Cmd: spec.args } : {}),
      ...(spec.entrypoint !== undefined ? { Entrypoint: [spec.entrypoint] } : {}),
      Env: spec.env,
      ...(spec.workingDir !== undefined ? { WorkingDir: spec.workingDir } : {}),
      ...(spec.user !== undefined ? { User: spec.user } : {}),
      ...(userNetwork && spec.hostname !== undefined ? { Hostname: spec.hostname } : {}),
      ExposedPorts: exposed,
      Labels: spec.labels,
      HostConfig: {
        Binds: spec.mounts.map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
        NetworkMode: spec.network,
        Privileged: spec.privileged,
        PortBindings: bindings,
        Memory: spec.limits.memoryBytes,
        MemorySwap: spec.limits.memoryBytes,
        NanoCpus: Math.round(spec.limits.cpus * 1e9),
        PidsLimit: spec.limits.pids,
        // A step gains no privilege through setuid files, and holds no capability but those it asked back (a
        // privileged step, which the server must allow, is the way to ask for the rest).
        SecurityOpt: ['no-new-privileges'],
        ...(spec.privileged ? {} : { CapDrop: ['ALL'], ...(spec.capAdd?.length ? { CapAdd: spec.capAdd } : {}) }),
      },
      // The host name is also the alias other containers on the network reach it by.
      ...(userNetwork && spec.hostname !== undefined ? { NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: [spec.hostname] } } } } : {}),
    }).catch(this.lost);
    return new DockerStepContainer(container, this.lost);
  }

  async removeContainer(id: string): Promise<void> {
    await this.docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
  }

  async stopContainer(id: string, networks: string[]): Promise<void> {
    await this.docker.getContainer(id).stop({ t: 2 }).catch(() => undefined);
    for (const n of networks) await this.docker.getNetwork(n).disconnect({ Container: id, Force: true }).catch(() => undefined);
  }

  async removeNetwork(name: string): Promise<void> {
    await this.docker.getNetwork(name).remove().catch(() => undefined);
  }

  async listLabelled(label: string, value?: string): Promise<LabelledResource[]> {
    const filters = JSON.stringify({ label: [value === undefined ? label : `${label}=${value}`] });
    const [containers, networks] = await Promise.all([this.docker.listContainers({ all: true, filters }), this.docker.listNetworks({ filters })]).catch(this.lost);
    return [
      ...containers.map((c) => ({ kind: 'container' as const, id: c.Id, value: c.Labels[label] ?? '' })),
      ...networks.map((n) => ({ kind: 'network' as const, id: n.Name, value: n.Labels?.[label] ?? '' })),
    ];
  }
}

function rethrowLost(socket: string): (err: unknown) => never {
  return (err) => {
    throw engineLost(err, socket) ?? err;
  };
}

/** The registry a step image is pulled from; undefined for a name the Engine may read otherwise than Slipway does. */
function registryOf(image: string): string | undefined {
  try {
    return parseImageReference(image).registry;
  } catch {
    return undefined;
  }
}

class DockerStepContainer implements StepContainer {
  private following: Promise<number> | undefined;
  private log: (line: string) => void = () => undefined;

  constructor(
    private readonly container: Docker.Container,
    private readonly lost: (err: unknown) => never,
  ) {}

  get id(): string {
    return this.container.id;
  }

  async start(log: (line: string) => void): Promise<void> {
    this.log = log;
    await this.container.start().catch(this.lost);
    // The log of a container that already exited is still read whole, so a fast step loses no line.
    this.following = followLog(this.container, log);
  }

  async wait(): Promise<number> {
    const StatusCode = await waitForExit(this.container).catch(this.lost);
    const received = await (this.following ?? Promise.resolve(0));
    await missedOutput(this.container, received, this.log);
    return StatusCode;
  }

  async kill(): Promise<void> {
    await this.container.kill().catch(() => undefined);
  }
}

/** The Engine's ExposedPorts and PortBindings for `docker run -p` and `--expose` values. */
export function ports(spec: Pick<StepContainerSpec, 'ports' | 'expose'>): { exposed: Record<string, object>; bindings: Record<string, { HostIp: string; HostPort: string }[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.expose) exposed[p.includes('/') ? p : `${p}/tcp`] = {};
  for (const p of spec.ports) {
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
