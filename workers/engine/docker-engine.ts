// Docker Engine through dockerode: a BuildKit build from a context directory or archive, and pushes of the result.
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import tar from 'tar-fs';
import { engineMessages, messageError, type EngineMessage } from './json-messages.js';
import { dockerignoreFilter } from './dockerignore-filter.js';

export interface BuildOptions {
  /** The context as a folder, packed here; or as a tar (gzipped or not) sent as it is. */
  contextDir?: string;
  contextArchive?: NodeJS.ReadableStream;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  platform: string;
  target?: string;
  /** docker build --no-cache: every step runs again. */
  noCache?: boolean;
  /** docker build --cache-from: images whose layers may serve as cache (BuildKit reads their inline cache). */
  cacheFrom?: string[];
  /** Leave out what the context's .dockerignore excludes (contexts the CLI did not already filter). */
  applyDockerignore?: boolean;
  signal: AbortSignal;
  onMessage: (message: EngineMessage) => void;
}

export interface PushResult {
  tag: string;
  digest: string;
}

export class EngineError extends Error {
  override name = 'EngineError';
}

export class DockerEngine {
  readonly docker: Docker;

  constructor(socketPath: string) {
    this.docker = new Docker({ socketPath });
  }

  private async packFolder(opts: BuildOptions): Promise<NodeJS.ReadableStream> {
    if (opts.contextDir === undefined) throw new Error('a build needs a context folder or archive');
    const ignore = opts.applyDockerignore ? await dockerignoreFilter(opts.contextDir, opts.dockerfile) : undefined;
    return tar.pack(opts.contextDir, ignore ? { ignore } : {}) as unknown as NodeJS.ReadableStream;
  }

  /** Runs the build; resolves with the image id, rejects with EngineError carrying the build's error. */
  async build(opts: BuildOptions): Promise<string> {
    const context = opts.contextArchive ?? (await this.packFolder(opts));
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
      buildargs: opts.buildArgs,
      platform: opts.platform,
      abortSignal: opts.signal,
    };
    if (opts.target) options.target = opts.target;
    if (opts.noCache) options.nocache = true;
    // The Engine API takes cachefrom as a JSON array in the query string.
    if (opts.cacheFrom?.length) options.cachefrom = JSON.stringify(opts.cacheFrom);
    const body = (await this.docker.buildImage(context, options as Docker.ImageBuildOptions)) as NodeJS.ReadableStream;
    let imageId: string | undefined;
    let error: string | undefined;
    try {
      for await (const message of engineMessages(body as unknown as import('node:stream').Readable)) {
        opts.onMessage(message);
        error ??= messageError(message);
        if (message.id === 'moby.image.id') imageId = (message.aux as { ID?: string } | undefined)?.ID;
      }
    } finally {
      opts.signal.removeEventListener('abort', cancel);
    }
    if (error) throw new EngineError(error);
    if (!imageId) throw new EngineError('the build ended without producing an image');
    return imageId;
  }

  private async cancelBuild(buildId: string): Promise<void> {
    await new Promise<void>((resolve) =>
      this.docker.modem.dial({ path: '/build/cancel?', method: 'POST', options: { id: buildId }, statusCodes: { 200: true, 500: 'server error' } }, () => resolve()),
    );
  }

  /** Pushes one fully qualified tag (`registry/repo:tag`) and returns the manifest digest the registry stored. */
  async push(reference: string, registry: string, signal: AbortSignal, onMessage: (m: EngineMessage) => void): Promise<string> {
    const { name, tag } = nameAndTag(reference);
    const body = (await this.docker.getImage(name).push({
      tag,
      // The daemon refuses a push without X-Registry-Auth, even to an open registry.
      authconfig: { serveraddress: registry },
      abortSignal: signal,
    } as Record<string, unknown>)) as unknown as import('node:stream').Readable;
    let digest: string | undefined;
    let error: string | undefined;
    for await (const message of engineMessages(body)) {
      onMessage(message);
      error ??= messageError(message);
      const aux = message.aux as { Digest?: string } | undefined;
      if (aux?.Digest) digest = aux.Digest;
    }
    if (error) throw new EngineError(`push of ${reference} failed: ${error}`);
    if (!digest) throw new EngineError(`push of ${reference} ended without a digest`);
    return digest;
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
