// What the step executor is given and what it reports: one record per step with its timestamps and outcome,
// never a value of the task (env, args) that could hold a secret.
import type { StepLimits } from '../../src/config.js';
import type { SecretMasker } from '../../src/log.js';
import type { GitContext } from '../../src/git/context.js';
import type { ResolvedTask, StepKind } from '../../src/taskfile/model.js';
import type { ContainerRuntime } from '../builder/container-runtime.js';
import type { ImageBuilder } from '../builder/image-builder.js';

export type StepStatus = 'succeeded' | 'failed' | 'timeout' | 'canceled' | 'skipped';
export type TaskRunStatus = 'succeeded' | 'failed' | 'timeout' | 'canceled';

export interface StepRecord {
  id: string;
  kind: StepKind;
  status: StepStatus;
  /** ISO times; absent for a step that never started. */
  startedAt?: string;
  finishedAt?: string;
  /** Runs of the step: 1, plus retries and repeats. */
  attempts: number;
  exitCode?: number;
  /** Masked. */
  error?: string;
  /** It failed, and ignoreErrors let the task go on. */
  ignored?: boolean;
  /** `quarantined`: pushed by digest only, the reference's tag left where it was. */
  pushed?: { reference: string; digest: string; quarantined?: boolean }[];
}

export interface TaskRunResult {
  status: TaskRunStatus;
  steps: StepRecord[];
  /** Masked; the first failure that decided the status. */
  error?: string;
}

export interface StepExecutorOptions {
  task: ResolvedTask;
  /**
   * Names the run's containers (`<scope>-<step>`) and networks, and labels them: the deployment's key prefix
   * and the run id, so two deployments (or two test stacks) sharing one Engine never take each other's names.
   * Letters, digits and -.
   */
  scope: string;
  /** Host directory with the source, mounted into cmd steps at /workspace and read by build steps. */
  workspace: string;
  /** Host directory for the secret volumes' files; made and removed by the executor. */
  scratchDir: string;
  /** Runs build and push steps. */
  engine: ImageBuilder;
  /** Runs cmd steps. */
  containers: ContainerRuntime;
  /** Receives each log line, already masked. */
  log: (line: string) => void;
  masker: SecretMasker;
  /** Cancels the run: reason 'canceled' or 'timeout' becomes the run's status. */
  signal: AbortSignal;
  /** Platform of build steps without --platform. */
  platform: string;
  /** SLIPWAY_TASK_ALLOW_PRIVILEGED: checked again here, whatever the loader was told. */
  allowPrivileged: boolean;
  /** What each cmd step container may use, and how many a run may hold at once. */
  limits: StepLimits;
  /** Told the names of each image pulled for a cmd step when it is pulled and when the step is done with it (the janitor's record). */
  stepImageUsed?: (names: string[]) => void;
  /**
   * Checks out a build step's remote git context into `dest` (through the worker's hardened git and host
   * policy, without the task's token: the repository is not the task's) and resolves with the context folder.
   */
  checkoutGit?: (git: GitContext, dest: string, signal: AbortSignal, log: (line: string) => void) => Promise<string>;
  /** Push steps push by digest only and move no tag: the images wait in quarantine for a scanner. */
  quarantine?: boolean;
  /** Push steps push nothing: a pull-request run of a task that did not opt in, or a run asked not to push. */
  noPush?: boolean;
}

/** The mount point of the workspace in cmd steps, ACR's default working directory. */
export const WORKSPACE_MOUNT = '/workspace';
