// The EngineStorage on Docker Engine through dockerode: `GET /system/df` for the build cache's size,
// `POST /build/prune` with `keep-storage` to bring it down, and the run-scoped images by name.
import Docker from 'dockerode';
import type { EngineStorage, LocalImage } from '../engine-storage.js';

interface BuildCacheRecord {
  Size?: number;
  Shared?: boolean;
}

export class DockerStorage implements EngineStorage {
  private readonly docker: Docker;

  constructor(socketPath: string) {
    this.docker = new Docker({ socketPath });
  }

  async buildCacheBytes(): Promise<number> {
    const df = (await this.docker.df()) as { BuildCache?: BuildCacheRecord[] | null };
    // A shared record is counted by the records sharing it too, as `docker system df` counts it.
    return (df.BuildCache ?? []).reduce((sum, r) => sum + (r.Shared ? 0 : (r.Size ?? 0)), 0);
  }

  async pruneBuildCache(keepBytes: number): Promise<number> {
    // dockerode's pruneBuilder sends no query: dialled here with BuildKit's keep-storage (Engine API 1.39+).
    const answer = await new Promise<unknown>((resolve, reject) =>
      this.docker.modem.dial(
        { path: '/build/prune?', method: 'POST', options: { 'keep-storage': keepBytes }, statusCodes: { 200: true, 500: 'server error' } } as unknown as Parameters<Docker['modem']['dial']>[0],
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data)),
      ),
    );
    return (answer as { SpaceReclaimed?: number } | null)?.SpaceReclaimed ?? 0;
  }

  async listImages(namespace: string): Promise<LocalImage[]> {
    const images = await this.docker.listImages({ filters: JSON.stringify({ reference: [`${namespace}/*`] }) });
    return images.map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t.startsWith(`${namespace}/`)) }));
  }

  async removeImage(reference: string): Promise<boolean> {
    // Never forced: an image a container (a running step) uses stays.
    return this.docker
      .getImage(reference)
      .remove({ noprune: false })
      .then(
        () => true,
        () => false,
      );
  }
}
