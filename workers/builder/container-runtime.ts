// The port task-file cmd steps run their containers through: networks the run's steps share, and one
// container per step attempt whose output goes to the run log. DockerContainers (docker/) is today's adapter.

export interface StepContainerSpec {
  /** Unique among the engine's containers. */
  name: string;
  image: string;
  /** The run's platform (`linux/arm64`): an emulated one runs under QEMU. */
  platform?: string;
  /** Replaces the image's command when not empty. */
  args: string[];
  entrypoint?: string;
  /** `KEY=value` entries. */
  env: string[];
  workingDir?: string;
  user?: string;
  /** A network made by createNetwork, or `host` / `none`. */
  network: string;
  /** The host name the container has and is reached by on its (user-defined) network. */
  hostname?: string;
  mounts: { source: string; target: string; readOnly: boolean }[];
  /** As `docker run -p`: `[IP:][HOST:]CONTAINER[/proto]`; published on the loopback unless an IP is given. */
  ports: string[];
  /** As `docker run --expose`: `PORT[/proto]`. */
  expose: string[];
  privileged: boolean;
  /** Memory (no swap beyond it), CPUs and processes the container may use. */
  limits: { memoryBytes: number; cpus: number; pids: number };
  /** Capabilities given back to a container that holds none otherwise (Docker's names, e.g. CHOWN). */
  capAdd?: string[];
  labels: Record<string, string>;
}

export interface StepContainer {
  readonly id: string;
  /** Starts it; from then on its stdout and stderr go to `log`, line by line. */
  start(log: (line: string) => void): Promise<void>;
  /** Resolves with the exit code once it has exited and all its output has reached the log. */
  wait(): Promise<number>;
  /** Never fails: the container may already be gone. */
  kill(): Promise<void>;
}

export interface ContainerRuntime {
  /**
   * Pulls the image from its registry, whatever the Engine holds under its name, and resolves with the
   * reference to run it by: `name@digest`, the image the registry served.
   */
  pullImage(image: string, log: (line: string) => void, signal: AbortSignal, platform?: string): Promise<string>;
  createNetwork(name: string, opts: { ipv6: boolean; labels: Record<string, string> }): Promise<void>;
  createContainer(spec: StepContainerSpec): Promise<StepContainer>;
  /** Removes a container and its anonymous volumes, running or not; never fails. */
  removeContainer(id: string): Promise<void>;
  /** Stops a container and takes it off `networks`, leaving it for inspection; never fails. */
  stopContainer(id: string, networks: string[]): Promise<void>;
  /** Never fails. */
  removeNetwork(name: string): Promise<void>;
  /** The engine's own ID, the same across its restarts: what the images its steps pulled are recorded under. */
  engineId(): Promise<string>;
  /** The containers (running or not) and networks carrying `label` (with `value` only, when given), with its value: what a crashed worker left. */
  listLabelled(label: string, value?: string): Promise<LabelledResource[]>;
}

/** A container (by id) or network (by name) and the value of the label it was found by. */
export interface LabelledResource {
  kind: 'container' | 'network';
  id: string;
  value: string;
}

