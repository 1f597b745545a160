// What a worker killed mid-build left on its host: the step containers and networks of its task-file runs
// (labelled with the run, see steps/run-resources.ts) and its workspaces (which hold the context and the
// secret volumes' files). A worker starting on the host removes those of every run that no live worker
// here is building: the run has ended (the API's watchdog ends a lost run), or the worker recorded on it
// was a process of this host that is gone.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RunProgress } from '../src/runs/progress.js';
import { RUN_ID_PATTERN } from '../src/runs/ids.js';
import type { ContainerRuntime } from './builder/container-runtime.js';
import { RUN_LABEL } from './steps/run-resources.js';

export interface LeftoverScope {
  runs: Pick<RunProgress, 'get'>;
  containers: ContainerRuntime;
  /** The deployment's key prefix: another deployment's resources on the same Engine are never touched. */
  prefix: string;
  workspacesDir: string;
  hostname: string;
}

export interface Removed {
  containers: number;
  networks: number;
  workspaces: number;
}

export async function removeLeftovers(scope: LeftoverScope): Promise<Removed> {
  const removed: Removed = { containers: 0, networks: 0, workspaces: 0 };
  const abandoned = abandonedRuns(scope);
  const owner = `${scope.prefix}-`.toLowerCase();
  const resources = (await scope.containers.listLabelled(RUN_LABEL)).filter((r) => r.value.startsWith(owner));
  // Containers first: a network cannot go while a container is on it.
  resources.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'container' ? -1 : 1));
  for (const r of resources) {
    const runId = r.value.slice(owner.length);
    if (!RUN_ID_PATTERN.test(runId) || !(await abandoned(runId))) continue;
    if (r.kind === 'container') {
      await scope.containers.removeContainer(r.id);
      removed.containers++;
    } else {
      await scope.containers.removeNetwork(r.id);
      removed.networks++;
    }
  }
  // Workspaces are named `<run id>-<random>` (jobs/build-steps.ts).
  for (const name of await fs.readdir(scope.workspacesDir).catch(() => [] as string[])) {
    const runId = name.split('-')[0] ?? '';
    if (!RUN_ID_PATTERN.test(runId) || !(await abandoned(runId))) continue;
    await fs.rm(path.join(scope.workspacesDir, name), { recursive: true, force: true });
    removed.workspaces++;
  }
  return removed;
}

/** Whether no live worker on this host builds the run; asked once per run. */
function abandonedRuns(scope: LeftoverScope): (runId: string) => Promise<boolean> {
  const known = new Map<string, Promise<boolean>>();
  const decide = async (runId: string) => {
    const run = await scope.runs.get(runId);
    if (!run || run.status !== 'running') return true;
    const [host, pid] = (run.worker ?? '').split('/');
    return host === scope.hostname && !processAlive(Number(pid));
  };
  return (runId) => {
    let answer = known.get(runId);
    if (!answer) known.set(runId, (answer = decide(runId)));
    return answer;
  };
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
