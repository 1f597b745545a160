// The port every job builds and pushes images through. DockerEngine (docker/) is today's adapter: BuildKit
// inside Docker Engine. A second builder (buildkitd, buildx) is another class implementing this interface,
// chosen in the worker's composition root (child-context.ts); the jobs only ever see ImageBuilder.
import type { ImageReference } from '../../src/registry/reference.js';

export interface BuildOptions {
  /** The context as a folder, packed by the builder; or as a tar (gzipped or not) sent as it is. */
  contextDir?: string;
  contextArchive?: NodeJS.ReadableStream;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  platform: string;
  target?: string;
  /** docker build --no-cache: every step runs again. */
  noCache?: boolean;
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

/** Registry credentials join the session here when the registry-auth work lands. */
export interface BuildSession {
  /** Secret id → its value, for `RUN --mount=type=secret,id=…`. */
  secrets: Record<string, string>;
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
  /** Removes a built image; never fails (a leftover image is only disk space). */
  removeImage(reference: string): Promise<void>;
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

/** What a failed build step reports: its name, its error and its last output lines. */
export interface BuildFailure {
  /** The failed step's name, e.g. `[3/3] RUN make`; '' when the build failed before any step did. */
  step: string;
  error: string;
  /** The failed step's last output lines, without progress prefixes. */
  output: string[];
}

/** A build that failed in one of its steps. */
export class BuildStepError extends EngineError {
  override name = 'BuildStepError';
  constructor(readonly failure: BuildFailure) {
    super(`${failure.step ? failure.step + ': ' : ''}${failure.error}`);
  }
}
