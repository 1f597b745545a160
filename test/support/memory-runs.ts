// RunProgress held in memory, for unit tests of what workers do to runs: the same rules as the stored one
// (a transition only from the statuses given, a finish once), the log as a plain list of lines.
import type { BaseImageUse, PlatformResult, Run, RunStatus } from '../../src/runs/model.js';
import type { RunProgress } from '../../src/runs/progress.js';
import type { RunPatch } from '../../src/runs/records.js';

export class MemoryRuns implements RunProgress {
  readonly runs = new Map<string, Run>();
  readonly logs = new Map<string, string[]>();
  readonly platformResults = new Map<string, PlatformResult>();
  readonly stopped: string[] = [];

  add(id: string, status: RunStatus, extra: Partial<Run> = {}): void {
    const request = { context: `sha256:${'a'.repeat(64)}`, dockerfile: 'Dockerfile', images: [], buildArgs: {}, secretBuildArgKeys: [], platform: 'linux/amd64', noPush: true, timeoutSeconds: 60 };
    this.runs.set(id, { id, status, platform: 'linux/amd64', platforms: ['linux/amd64'], createdAt: new Date().toISOString(), trigger: { type: 'manual' }, request, outputImages: [], ...extra });
  }

  log(id: string): string[] {
    return this.logs.get(id) ?? [];
  }

  async get(id: string): Promise<Run | undefined> {
    const run = this.runs.get(id);
    return run && structuredClone(run);
  }

  async start(id: string, worker: string): Promise<boolean> {
    return this.transition(id, ['queued'], { status: 'running', worker });
  }

  async setPlatformResult(_id: string, result: PlatformResult): Promise<void> {
    this.platformResults.set(result.platform, result);
  }

  async setBaseImages(_id: string, _platform: string, _bases: BaseImageUse[]): Promise<void> {}

  async appendLog(id: string, lines: readonly string[]): Promise<void> {
    this.logs.set(id, [...this.log(id), ...lines]);
  }

  async finish(id: string, from: readonly RunStatus[], status: RunStatus, patch: RunPatch = {}, lastLines: string[] = []): Promise<boolean> {
    if (!this.transition(id, from, { ...patch, status })) return false;
    await this.appendLog(id, [...lastLines, `(end ${status})`]);
    return true;
  }

  async stopBuilds(id: string): Promise<void> {
    this.stopped.push(id);
  }

  private transition(id: string, from: readonly RunStatus[], patch: RunPatch): boolean {
    const run = this.runs.get(id);
    if (!run || !from.includes(run.status)) return false;
    const fields = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null && v !== undefined));
    this.runs.set(id, { ...run, ...fields });
    return true;
  }
}
