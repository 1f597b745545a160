// A task file once read, rendered and checked: what the step executor runs and `task validate` prints.
// It holds rendered secret values (in env, args, volume files), so it is never stored or logged as a whole.
import type { BuildSpec } from './build-flags.js';
import type { StepResourceAsk } from './step-resources.js';

export type StepKind = 'build' | 'push' | 'cmd';

export interface ResolvedStep {
  id: string;
  index: number;
  /** Line of the step in the file, for messages. */
  line: number;
  kind: StepKind;
  /** Ids this step waits for; empty: it starts at once. */
  after: string[];
  level: number;
  build?: BuildSpec;
  /**
   * `cache: enabled`: the image the build takes its cache from and pushes its cache to (ACR's
   * `<repository of the first tag>:cache_<task>_<step>`).
   */
  buildCache?: string;
  /** The values of the secrets a build step asks for with --secret, id → value. */
  buildSecrets?: Record<string, string>;
  /** Fully qualified references (a name without a registry goes to the run's registry, as in ACR). */
  push?: string[];
  cmd?: { image: string; args: string[] };
  /** KEY=VALUE, the task's env with the step's own winning. */
  env: string[];
  entryPoint?: string;
  /** Where the container starts; undefined when disableWorkingDirectoryOverride leaves the image's own. */
  workingDirectory?: string;
  user?: string;
  detach: boolean;
  keep: boolean;
  privileged: boolean;
  /** What a cmd step asked for in place of the server's default limits (docker run --memory, --cpus, --pids-limit). */
  resources: StepResourceAsk;
  /** Docker default capabilities a cmd step asked back (--cap-add); every other one stays dropped. */
  capAdd: string[];
  /** A network declared in the task, `host` or `none`; undefined: the run's default network. */
  network?: string;
  ports: string[];
  expose: string[];
  volumeMounts: { name: string; mountPath: string }[];
  pull: boolean;
  timeoutSeconds: number;
  startDelaySeconds: number;
  retries: number;
  retryDelaySeconds: number;
  repeat: number;
  ignoreErrors: boolean;
}

export interface ResolvedNetwork {
  name: string;
  ipv6: boolean;
  skipCreation: boolean;
  isDefault: boolean;
}

export interface ResolvedTask {
  version: string;
  stepTimeoutSeconds: number;
  workingDirectory: string;
  steps: ResolvedStep[];
  networks: ResolvedNetwork[];
  /** Secret volumes: file name to decoded content. */
  volumes: { name: string; files: Record<string, Buffer> }[];
}
