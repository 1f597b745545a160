// What a task run creates in Docker besides images: its networks and containers, and the files of its secret
// volumes. All are labelled with the run and released by release(), which never throws: cleanup must finish
// even when the run was canceled or Docker answers errors.
import fs from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import type { ResolvedTask } from '../../src/taskfile/model.js';

export const RUN_LABEL = 'slipway.task-run';

export class RunResources {
  /** Task network name (or '' for the run's default) → Docker network name. */
  private readonly networks = new Map<string, string>();
  private readonly created: string[] = [];
  private readonly containers = new Map<string, { keep: boolean }>();
  private volumeDir: string | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly runId: string,
  ) {}

  /** Creates the run's default network and the task's networks; step ids resolve as host names on them. */
  async createNetworks(task: ResolvedTask): Promise<void> {
    const def = task.networks.find((n) => n.isDefault);
    for (const n of task.networks) {
      const name = n.skipCreation ? n.name : `slipway-${this.runId}-${n.name}`;
      if (!n.skipCreation) await this.createNetwork(name, n.ipv6);
      this.networks.set(n.name, name);
    }
    if (def) this.networks.set('', this.networks.get(def.name)!);
    else {
      const name = `slipway-${this.runId}`;
      await this.createNetwork(name, false);
      this.networks.set('', name);
    }
  }

  private async createNetwork(name: string, ipv6: boolean): Promise<void> {
    await this.docker.createNetwork({ Name: name, Driver: 'bridge', EnableIPv6: ipv6, CheckDuplicate: true, Labels: { [RUN_LABEL]: this.runId } });
    this.created.push(name);
  }

  /** The Docker network a step joins: `host`/`none` as they are, undefined task name → the default. */
  networkFor(name: string | undefined): string {
    if (name === 'host' || name === 'none') return name;
    return this.networks.get(name ?? '') ?? this.networks.get('')!;
  }

  /** Writes the secret volumes' files (mode 0400 in a 0700 directory); returns volume name → host directory. */
  async writeVolumes(task: ResolvedTask, scratchDir: string): Promise<Map<string, string>> {
    const dirs = new Map<string, string>();
    if (task.volumes.length === 0) return dirs;
    await fs.mkdir(scratchDir, { recursive: true, mode: 0o700 });
    this.volumeDir = await fs.mkdtemp(path.join(scratchDir, `volumes-${this.runId}-`));
    for (const v of task.volumes) {
      const dir = path.join(this.volumeDir, v.name);
      await fs.mkdir(dir, { mode: 0o700 });
      for (const [file, content] of Object.entries(v.files)) await fs.writeFile(path.join(dir, file), content, { mode: 0o400 });
      dirs.set(v.name, dir);
    }
    return dirs;
  }

  track(containerId: string, keep: boolean): void {
    this.containers.set(containerId, { keep });
  }

  /** Removes a finished container now, unless it is kept. */
  async removeContainer(id: string): Promise<void> {
    if (this.containers.get(id)?.keep) return;
    await this.docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
    this.containers.delete(id);
  }

  async release(): Promise<void> {
    for (const [id, { keep }] of this.containers) {
      const c = this.docker.getContainer(id);
      // A kept container is stopped and left, off the run's networks, so they can go.
      if (keep) {
        await c.stop({ t: 2 }).catch(() => undefined);
        for (const n of this.created) await this.docker.getNetwork(n).disconnect({ Container: id, Force: true }).catch(() => undefined);
      } else await c.remove({ force: true, v: true }).catch(() => undefined);
    }
    this.containers.clear();
    for (const n of this.created.splice(0)) await this.docker.getNetwork(n).remove().catch(() => undefined);
    if (this.volumeDir) await fs.rm(this.volumeDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
