// What a task run creates in the container runtime besides images: its networks and containers, and the files of its secret
// volumes. All are labelled with the run and released by release(), which never throws: cleanup must finish
// even when the run was canceled or the runtime answers errors.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ContainerRuntime } from '../builder/container-runtime.js';
import type { StepLimits } from '../../src/config.js';
import type { ResolvedStep, ResolvedTask } from '../../src/taskfile/model.js';
import { allowedCapability, overMaximum, StepResourceError } from '../../src/taskfile/step-resources.js';
import { StepFailedError } from './cmd-step.js';

export const RUN_LABEL = 'slipway.task-run';

/** A network of the run: its name in the runtime, whether the run creates it, and with IPv6. */
interface PlannedNetwork {
  name: string;
  create: boolean;
  ipv6: boolean;
}

export class RunResources {
  /** Task network name (or '' for the run's default) → the network it is in the runtime. */
  private readonly networks = new Map<string, PlannedNetwork>();
  /** Networks being created or created, by runtime name: steps starting side by side create one once. */
  private readonly creating = new Map<string, Promise<void>>();
  private readonly created: string[] = [];
  private readonly started = new Map<string, { keep: boolean }>();
  private volumeDir: string | undefined;

  constructor(
    private readonly containers: ContainerRuntime,
    private readonly scope: string,
    private readonly stepLimits: StepLimits,
  ) {}

  /**
   * What a step's container may use: the server's defaults, or what the step asked for within the server's
   * maximum. Checked here again, since the loader that checked it first may have run with other settings.
   */
  limitsFor(step: Pick<ResolvedStep, 'resources'>): { memoryBytes: number; cpus: number; pids: number } {
    const over = overMaximum(step.resources, this.stepLimits.maximum);
    if (over.length) throw new StepFailedError(over.join('; '));
    const { memoryBytes = this.stepLimits.memoryBytes, cpus = this.stepLimits.cpus, pids = this.stepLimits.pids } = step.resources;
    return { memoryBytes, cpus, pids };
  }

  /** The capabilities a step's container gets back: only Docker's defaults, whatever reached the worker. */
  capabilitiesFor(step: Pick<ResolvedStep, 'capAdd'>): string[] {
    try {
      return step.capAdd.map(allowedCapability);
    } catch (err) {
      throw err instanceof StepResourceError ? new StepFailedError(err.message) : err;
    }
  }

  /** Refuses a container over the run's limit; containers still running or kept count. */
  reserveContainer(): void {
    if (this.started.size >= this.stepLimits.containersPerRun) {
      throw new StepFailedError(`this run already holds ${this.started.size} containers, the most a run may (SLIPWAY_STEP_CONTAINERS_PER_RUN)`);
    }
  }

  /**
   * Removes the containers and networks labelled with this run's scope that an earlier attempt of the run
   * left (its Engine went away before they could be removed): the names are the run's, and would clash.
   */
  async removeLeftovers(): Promise<void> {
    const left = await this.containers.listLabelled(RUN_LABEL, this.scope);
    for (const r of left) if (r.kind === 'container') await this.containers.removeContainer(r.id);
    for (const r of left) if (r.kind === 'network') await this.containers.removeNetwork(r.id);
  }

  /**
   * The run's default network and the task's networks, step ids resolving as host names on them. Each is created
   * when the first container joins it, not before: only cmd steps join one, and a task of build and push steps,
   * the most common kind, would have the Engine write and remove a network's firewall rules (a few dozen
   * iptables runs) for a network nothing uses.
   */
  planNetworks(task: ResolvedTask): void {
    const def = task.networks.find((n) => n.isDefault);
    for (const n of task.networks) this.networks.set(n.name, { name: n.skipCreation ? n.name : `${this.scope}-${n.name}`, create: !n.skipCreation, ipv6: n.ipv6 });
    this.networks.set('', def ? this.networks.get(def.name)! : { name: this.scope, create: true, ipv6: false });
  }

  /** The network a step joins, created first if it is the run's and no step made it yet: `host`/`none` as they are, no name → the default. */
  async networkFor(name: string | undefined): Promise<string> {
    if (name === 'host' || name === 'none') return name;
    const network = this.networks.get(name ?? '') ?? this.networks.get('')!;
    if (network.create) {
      let creating = this.creating.get(network.name);
      if (!creating) {
        creating = this.containers.createNetwork(network.name, { ipv6: network.ipv6, labels: { [RUN_LABEL]: this.scope } }).then(() => void this.created.push(network.name));
        this.creating.set(network.name, creating);
        // A failed creation is tried again by the next step (or attempt) that needs the network.
        creating.catch(() => this.creating.delete(network.name));
      }
      await creating;
    }
    return network.name;
  }

  /** Writes the secret volumes' files (mode 0400 in a 0700 directory); returns volume name → host directory. */
  async writeVolumes(task: ResolvedTask, scratchDir: string): Promise<Map<string, string>> {
    const dirs = new Map<string, string>();
    if (task.volumes.length === 0) return dirs;
    await fs.mkdir(scratchDir, { recursive: true, mode: 0o700 });
    this.volumeDir = await fs.mkdtemp(path.join(scratchDir, `volumes-${this.scope}-`));
    for (const v of task.volumes) {
      const dir = path.join(this.volumeDir, v.name);
      await fs.mkdir(dir, { mode: 0o700 });
      for (const [file, content] of Object.entries(v.files)) await fs.writeFile(path.join(dir, file), content, { mode: 0o400 });
      dirs.set(v.name, dir);
    }
    return dirs;
  }

  track(containerId: string, keep: boolean): void {
    this.started.set(containerId, { keep });
  }

  /** Removes a finished container now, unless it is kept. */
  async removeContainer(id: string): Promise<void> {
    if (this.started.get(id)?.keep) return;
    await this.containers.removeContainer(id);
    this.started.delete(id);
  }

  async release(): Promise<void> {
    for (const [id, { keep }] of this.started) {
      // A kept container is stopped and left, off the run's networks, so they can go.
      if (keep) await this.containers.stopContainer(id, this.created);
      else await this.containers.removeContainer(id);
    }
    this.started.clear();
    for (const n of this.created.splice(0)) await this.containers.removeNetwork(n);
    if (this.volumeDir) await fs.rm(this.volumeDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
