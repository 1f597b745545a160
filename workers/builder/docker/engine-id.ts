// The Docker Engine's own ID (`docker info`), which it keeps in its data root across restarts: what names an
// Engine in Redis whichever worker process or container talks to it, and under whatever socket path.
import type Docker from 'dockerode';

const known = new Map<string, Promise<string>>();

/** The ID of the Engine at `socketPath`, asked once per process (again after a failure). */
export function engineId(docker: Docker, socketPath: string): Promise<string> {
  let id = known.get(socketPath);
  if (!id) {
    id = docker.info().then((info: { ID?: unknown }) => {
      if (typeof info.ID !== 'string' || info.ID === '') throw new Error(`the Docker Engine at ${socketPath} reports no ID`);
      return info.ID;
    });
    id.catch(() => known.delete(socketPath));
    known.set(socketPath, id);
  }
  return id;
}
