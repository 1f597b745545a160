// The ImageBuilder on Docker Engine through dockerode: a BuildKit build from a context folder or archive,
// pushes by tag through the daemon, and pushes by digest through the registry client.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import tar from 'tar-fs';
import type { RegistryClient } from '../../../src/registry/client.js';
import type { ImageReference } from '../../../src/registry/reference.js';
import type { CredentialsProvider } from '../../../src/registry/auth.js';
import { BuildStepError, EngineError, LoginTakenError, needsSession, type BuildOptions, type BuildSession, type ImageBuilder, type PushedManifest, type RegistryCredentials } from '../image-builder.js';
import { buildkitCredentials, explainMissingLogin, loginTakenByAnotherBuild, registryAuthConfig } from './registry-auth.js';
import { BuildProgress } from './buildkit-progress.js';
import { openBuildSession, type OpenSession } from './buildkit-session.js';
import { dockerfileOverride } from './dockerfile-override.js';
import { dockerignoreFilter } from './dockerignore-filter.js';
import { engineLost } from './engine-lost.js';
import { pushImageByDigest } from './image-export.js';
import { pinRegistryBases } from './pinned-bases.js';
import { pushError } from './push-errors.js';
import { engineMessages, messageError } from './json-messages.js';

/** Tries of a build that lost its registry login to another build (registry-auth.ts loginTakenByAnotherBuild). */
const LOGIN_TAKEN_TRIES = 3;

export class DockerEngine implements ImageBuilder {
  private readonly docker: Docker;

  constructor(
    private readonly socketPath: string,
    private readonly registry: RegistryClient,
    /** The run's registry logins: BuildKit's pulls ask for them host by host, pushes send the target's. */
    private readonly credentials?: CredentialsProvider,
  ) {
    // dockerode dials the socket afresh for every request: once a restarted Engine listens again, the next
    // request reaches it, with nothing to reconnect.
    this.docker = new Docker({ socketPath });
  }

  /** The build's session, with the run's logins when the build names none of its own. */
  private sessionFor(opts: BuildOptions): BuildSession | undefined {
    const credentials = this.credentials;
    if (!credentials || opts.session?.credentials) return opts.session;
    return { secrets: opts.session?.secrets ?? {}, credentials: buildkitCredentials(credentials) };
  }

  answers(): Promise<boolean> {
    return this.docker.ping().then(
      () => true,
      () => false,
    );
  }

  private async packFolder(opts: BuildOptions, dockerfileText: string | undefined): Promise<NodeJS.ReadableStream> {
    if (opts.contextDir === undefined) throw new Error('a build needs a context folder or archive');
    const ignore = opts.applyDockerignore ? await dockerignoreFilter(opts.contextDir, opts.dockerfile) : undefined;
    const override = dockerfileText === undefined ? {} : await dockerfileOverride(opts.contextDir, opts.dockerfile, dockerfileText);
    return tar.pack(opts.contextDir, { ...(ignore ? { ignore } : {}), ...override }) as unknown as NodeJS.ReadableStream;
  }

  /** The Dockerfile text the build reads: the request's, with the bases of a build on local images pinned. */
  private async dockerfileTextFor(opts: BuildOptions): Promise<string | undefined> {
    if (!opts.localBases?.length) return opts.dockerfileText;
    if (opts.dockerfileText === undefined) throw new Error('a build on local images needs its Dockerfile text');
    return pinRegistryBases(opts.dockerfileText, opts, opts.localBases, this.registry);
  }

  async build(opts: BuildOptions): Promise<string> {
    // A session only for a build that asks for something: one without secrets or credentials is built
    // from its tar body alone, with no session round trips.
    if (opts.contextArchive && (opts.dockerfileText !== undefined || opts.localBases?.length)) throw new Error('a Dockerfile text or local bases need a context folder, not an archive');
    const dockerfileText = await this.dockerfileTextFor(opts);
    const wanted = this.sessionFor(opts);
    for (let attempt = 1; ; attempt++) {
      const session = needsSession(wanted) ? await openBuildSession(this.docker.modem, wanted) : undefined;
      try {
        return await this.buildWith(opts, dockerfileText, session, wanted?.credentials);
      } catch (err) {
        // Its own session asks again when tried anew (and its login then serves the other builds).
        if (!(err instanceof LoginTakenError) || attempt >= LOGIN_TAKEN_TRIES || opts.signal.aborted) throw err;
        opts.log(`slipway: ${err.message}: building again (try ${attempt + 1} of ${LOGIN_TAKEN_TRIES})`);
      } finally {
        session?.close();
      }
    }
  }

  private async buildWith(opts: BuildOptions, dockerfileText: string | undefined, session: OpenSession | undefined, credentials: RegistryCredentials | undefined): Promise<string> {
    const context = opts.contextArchive?.() ?? (await this.packFolder(opts, dockerfileText));
    // Aborting the request stops the build once the daemon notices the closed connection; cancelling
    // its build id as well, as `docker build` does on Ctrl-C, stops it without depending on that.
    const buildId = randomUUID();
    const cancel = () => void this.cancelBuild(buildId);
    opts.signal.addEventListener('abort', cancel, { once: true });
    const options: Record<string, unknown> = {
      version: '2',
      buildid: buildId,
      dockerfile: opts.dockerfile,
      t: opts.tags,
      // BuildKit's switch for inline cache: the only cache export the Engine API has.
      buildargs: opts.cacheTo === 'inline' ? { ...opts.buildArgs, BUILDKIT_INLINE_CACHE: '1' } : opts.buildArgs,
      platform: opts.platform,
    };
    if (session) options.session = session.id;
    if (opts.target) options.target = opts.target;
    if (opts.noCache) options.nocache = true;
    // Bases always come from their registry, never from a tag another run left on this shared Engine (BuildKit
    // in Docker Engine prefers a local image of the base's name); --pull asks for what every build does. A
    // build on its run's own images cannot (the Engine would look for them in a registry): its other bases
    // are pinned by digest instead, which no tag on the Engine can stand in for.
    options.pull = !opts.localBases?.length;
    // docker-modem sends an object parameter as JSON, the form the Engine API takes labels in.
    if (opts.labels && Object.keys(opts.labels).length > 0) options.labels = opts.labels;
    // The Engine API takes cachefrom as a JSON array in the query string.
    if (opts.cacheFrom?.length) options.cachefrom = JSON.stringify(opts.cacheFrom);
    const progress = new BuildProgress(opts.log);
    let imageId: string | undefined;
    let error: string | undefined;
    let broken: { err: unknown } | undefined;
    try {
      const body = await this.dialBuild(context, options, opts.signal);
      for await (const message of engineMessages(body)) {
        progress.write(message);
        error ??= messageError(message);
        if (message.id === 'moby.image.id') imageId = (message.aux as { ID?: string } | undefined)?.ID;
      }
    } catch (err) {
      broken = { err };
    } finally {
      opts.signal.removeEventListener('abort', cancel);
    }
    progress.finish();
    const failed = progress.failure();
    const taken = failed && session && !opts.signal.aborted ? await loginTakenByAnotherBuild(failed, credentials) : undefined;
    if (taken) throw new LoginTakenError(taken);
    const failure = failed && explainMissingLogin(failed);
    // A step that failed says more than the connection the daemon closed after it; a cancel says it all.
    if (broken) throw failure && !opts.signal.aborted ? new BuildStepError(failure) : ((!opts.signal.aborted && engineLost(broken.err, this.socketPath)) || broken.err);
    if (failure) throw new BuildStepError(failure);
    if (error) throw new EngineError(error);
    if (!imageId) throw new EngineError('the build ended without producing an image');
    return imageId;
  }

  /**
   * POST /build, dialled here rather than through dockerode's buildImage, which opens a session of its own for
   * every BuildKit build (one credential for every host, and no health answers, so the daemon drops it).
   */
  private dialBuild(context: NodeJS.ReadableStream, query: Record<string, unknown>, signal: AbortSignal): Promise<Readable> {
    return new Promise((resolve, reject) =>
      this.docker.modem.dial(
        { path: '/build?', method: 'POST', file: context, options: query, abortSignal: signal, isStream: true, statusCodes: { 200: true, 500: 'server error' } } as unknown as Parameters<Docker['modem']['dial']>[0],
        (err: unknown, body: unknown) => (err ? reject(err) : resolve(body as Readable)),
      ),
    );
  }

  private async cancelBuild(buildId: string): Promise<void> {
    await new Promise<void>((resolve) =>
      this.docker.modem.dial({ path: '/build/cancel?', method: 'POST', options: { id: buildId }, statusCodes: { 200: true, 500: 'server error' } }, () => resolve()),
    );
  }

  async push(reference: string, registry: string, signal: AbortSignal, onStatus: (status: string) => void): Promise<string> {
    const { name, tag } = nameAndTag(reference);
    const body = (await this.docker
      .getImage(name)
      .push({
        tag,
        // The daemon refuses a push without X-Registry-Auth, even to an open registry.
        authconfig: await registryAuthConfig(this.credentials, registry),
        abortSignal: signal,
      } as Record<string, unknown>)
      .catch((err: unknown) => {
        if (signal.aborted) throw err;
        throw engineLost(err, this.socketPath) ?? pushError(reference, registry, err instanceof Error ? err.message : String(err));
      })) as unknown as Readable;
    let digest: string | undefined;
    let error: string | undefined;
    for await (const message of this.lostAsUnavailable(engineMessages(body), signal)) {
      // Per-layer messages carry an id; only the push's own status lines are worth a log line.
      if (message.status && !message.id) onStatus(message.status);
      error ??= messageError(message);
      const aux = message.aux as { Digest?: string } | undefined;
      if (aux?.Digest) digest = aux.Digest;
    }
    if (error) throw pushError(reference, registry, error);
    if (!digest) throw new EngineError(`push of ${reference} ended without a digest`);
    return digest;
  }

  /** The Engine's messages, with a connection it cut mid-answer told apart from what it answered. */
  private async *lostAsUnavailable<T>(messages: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
    try {
      yield* messages;
    } catch (err) {
      throw (!signal.aborted && engineLost(err, this.socketPath)) || err;
    }
  }

  pushByDigest(imageId: string, targets: ImageReference[], workdir: string): Promise<PushedManifest> {
    return pushImageByDigest(this.docker, this.registry, imageId, targets, workdir);
  }

  async tagImage(source: string, target: string): Promise<void> {
    const { name, tag } = nameAndTag(target);
    await this.docker.getImage(source).tag({ repo: name, tag });
  }

  async removeImage(reference: string): Promise<void> {
    await this.docker.getImage(reference).remove({ noprune: false }).catch(() => undefined);
  }
}

/** A local image reference as the Engine's push wants it: the name, and the tag (`latest` when none is given). */
export function nameAndTag(reference: string): { name: string; tag: string } {
  if (reference.includes('@')) throw new EngineError(`${reference} names a digest; only a tag can be pushed`);
  const colon = reference.lastIndexOf(':');
  // A colon before the last slash is a registry's port (127.0.0.1:5000/app), not a tag.
  if (colon <= reference.lastIndexOf('/')) return { name: reference, tag: 'latest' };
  return { name: reference.slice(0, colon), tag: reference.slice(colon + 1) };
}
