// The EngineStorage on Docker Engine through dockerode: `GET /system/df` for the build cache's size,
// `POST /build/prune` with `keep-storage` to bring it down, and the run-scoped images by name.
import Docker from 'dockerode';
import type { EngineStorage, ImageRemoval, LocalImage } from '../engine-storage.js';
import { engineId } from './engine-id.js';

interface BuildCacheRecord {
  Size?: number;
  Shared?: boolean;
}

export class DockerStorage implements EngineStorage {
  private readonly docker: Docker;

  constructor(private readonly socketPath: string) {
    this.docker = new Docker({ socketPath });
  }

  engineId(): Promise<string> {
    return engineId(this.docker, this.socketPath);
  }

  async buildCacheBytes(): Promise<number> {
    // `type` spares an Engine of API 1.42+ sizing every image; older ones ignore it and answer in full.
    const df = (await this.dial('/system/df?', 'GET', { type: 'build-cache' })) as { BuildCache?: BuildCacheRecord[] | null } | null;
    // A shared record holds what an image holds too; `docker system df` counts its bytes there, not here.
    return (df?.BuildCache ?? []).reduce((sum, r) => sum + (r.Shared ? 0 : (r.Size ?? 0)), 0);
  }

  async pruneBuildCache(keepBytes: number): Promise<number> {
    // dockerode's pruneBuilder sends no query: dialled here with BuildKit's keep-storage (Engine API 1.39+).
    const answer = await this.dial('/build/prune?', 'POST', { 'keep-storage': keepBytes });
    return (answer as { SpaceReclaimed?: number } | null)?.SpaceReclaimed ?? 0;
  }

  private dial(path: string, method: 'GET' | 'POST', options: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.docker.modem.dial(
        { path, method, options, statusCodes: { 200: true, 500: 'server error' } } as unknown as Parameters<Docker['modem']['dial']>[0],
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data)),
      ),
    );
  }

  async listImages(namespace: string): Promise<LocalImage[]> {
    const images = await this.docker.listImages({ filters: JSON.stringify({ reference: [`${namespace}/*`] }) });
    return images.map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t.startsWith(`${namespace}/`)) }));
  }

  async imageInUse(reference: string): Promise<boolean> {
    const containers = await this.docker.listContainers({ all: true, limit: 1, filters: JSON.stringify({ ancestor: [reference] }) });
    return containers.length > 0;
  }

  async removeImage(reference: string): Promise<ImageRemoval> {
    // Never forced: an image a container (a running step) uses stays.
    return this.docker
      .getImage(reference)
      .remove({ noprune: false })
      .then(
        () => 'removed' as const,
        (err: { statusCode?: number }) => (err.statusCode === 404 ? 'absent' : 'refused'),
      );
  }
}
