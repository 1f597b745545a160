// The port every job builds and pushes images through. DockerEngine (docker/) is today's adapter: BuildKit
// inside Docker Engine. A second builder (buildkitd, buildx) is another class implementing this interface,
// chosen in the worker's composition root (child-context.ts); the jobs only ever see ImageBuilder.
import type { BuildOptions as RequestedOptions } from '../../src/contract/build-options.js';
import type { ImageReference } from '../../src/registry/reference.js';

/** A build: its inputs, and the options its run asked for (labels, --no-cache, --pull), each given its meaning by the adapter. */
export interface BuildOptions extends RequestedOptions {
  /** The context as a folder, packed by the builder; or as a tar (gzipped or not) sent as it is, opened anew for each try. */
  contextDir?: string;
  contextArchive?: () => NodeJS.ReadableStream;
  dockerfile: string;
  /**
   * The Dockerfile's text for this build, in place of what the context holds at `dockerfile` (the folder itself
   * is never written: steps running side by side share it). Only with `contextDir`.
   */
  dockerfileText?: string;
  /**
   * Local images of this build's run that `dockerfileText` names (a run's earlier build steps built them): the
   * build uses exactly these, never a registry's image of that name, and pulls every other image it names
   * from its registry as any build does.
   */
  localBases?: string[];
  tags: string[];
  buildArgs: Record<string, string>;
  platform: string;
  target?: string;
  /** docker build --cache-from: images whose layers may serve as cache. */
  cacheFrom?: string[];
  /** Leave out what the context's .dockerignore excludes (contexts the CLI did not already filter). */
  applyDockerignore?: boolean;
  /**
   * What the build may ask its client for while it runs (BuildKit's session): secrets for
   * `RUN --mount=type=secret` and registry credentials. A builder refuses a session it cannot serve rather
   * than building without it.
   */
  session?: BuildSession;
  /** Aborting cancels the build. */
  signal: AbortSignal;
  /** The build's progress, as the lines `docker build --progress=plain` prints. */
  log: (line: string) => void;
}

/** What a build may ask its client for while it runs. */
export interface BuildSession {
  /** Secret id → its value, for `RUN --mount=type=secret,id=…`. */
  secrets: Record<string, string>;
  /**
   * The login for each registry host the build pulls from, asked host by host. Absent when this build has no
   * credentials at all: it then needs no session for them, and pulls anonymously.
   */
  credentials?: RegistryCredentials;
}

/** A registry login as BuildKit's session hands it over. */
export interface RegistryCredential {
  username: string;
  /** A password or token; never logged. */
  secret: string;
}

/**
 * The credentials for a registry host as BuildKit names it (`127.0.0.1:5000`, `registry-1.docker.io`), or
 * undefined when there are none for it (that pull is anonymous).
 */
export type RegistryCredentials = (host: string) => Promise<RegistryCredential | undefined>;

/** Whether a build has anything to ask its session for; one that has not is built without one. */
export function needsSession(session: BuildSession | undefined): session is BuildSession {
  return session !== undefined && (Object.keys(session.secrets).length > 0 || session.credentials !== undefined);
}

/** A manifest pushed by digest, described as an image index entry names it. */
export interface PushedManifest {
  digest: string;
  mediaType: string;
  size: number;
  platform: { os: string; architecture: string; variant?: string; 'os.version'?: string };
}

export interface ImageBuilder {
  /** Runs the build; resolves with the image id, rejects with EngineError (BuildStepError when a step failed). */
  build(opts: BuildOptions): Promise<string>;
  /**
   * Pushes one fully qualified tag (`registry/repo:tag`) to `registry` (its host) and resolves with the
   * manifest digest the registry stored; `onStatus` receives the push's progress lines.
   */
  push(reference: string, registry: string, signal: AbortSignal, onStatus: (status: string) => void): Promise<string>;
  /** Pushes a built image's manifest, untagged, into each target repository; `workdir` holds temporary files. */
  pushByDigest(imageId: string, targets: ImageReference[], workdir: string): Promise<PushedManifest>;
  /** Gives the image `source` (a local name or an image id) the local name `target` as well. */
  tagImage(source: string, target: string): Promise<void>;
  /** Removes a built image; never fails (a leftover image is only disk space). */
  removeImage(reference: string): Promise<void>;
  /** Whether the engine answers now; never fails. */
  answers(): Promise<boolean>;
}

/** What the engine refused or failed (a build, a push, a pull): the user's input, not Slipway, is at fault. */
export class EngineError extends Error {
  override name = 'EngineError';
}

/**
 * A registry that could not be reached or answered with a server error (refused, timed out, 5xx): the
 * system's fault, not the user's, and worth trying again; the run ends `error` when retries run out.
 */
export class RegistryUnreachableError extends Error {
  override name = 'RegistryUnreachableError';
  constructor(
    readonly registry: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The engine itself went away (stopped, killed, restarting: its socket refused or gone, or the connection
 * cut mid-answer): the system's fault, not the user's; the run may be built again once it answers.
 */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}

/** By name as well: an error crossing from a sandboxed child loses its prototype. */
export function isEngineUnavailable(err: unknown): err is Error {
  return err instanceof EngineUnavailableError || (err instanceof Error && err.name === 'EngineUnavailableError');
}

/** What a failed build step reports: its name, its error and its last output lines. */
export interface BuildFailure {
  /** The failed step's name, e.g. `[3/3] RUN make`; '' when the build failed before any step did. */
  step: string;
  error: string;
  /** The failed step's last output lines, without progress prefixes. */
  output: string[];
}

/** A build that failed in one of its steps. */
/** A build that lost its registry login to another build on the same Engine (registry-auth.ts says how); worth a new try. */
export class LoginTakenError extends EngineError {
  override name = 'LoginTakenError';
  constructor(readonly registry: string) {
    super(`the Engine lost this build's login for ${registry} to another build pulling from it at the same time (Docker 20.10's BuildKit shares one login per repository between concurrent builds)`);
  }
}

export class BuildStepError extends EngineError {
  override name = 'BuildStepError';
  constructor(readonly failure: BuildFailure) {
    super(`${failure.step ? failure.step + ': ' : ''}${failure.error}`);
  }
}
