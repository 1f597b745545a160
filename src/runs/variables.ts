// `{{.Run.X}}` of a run, but Commit, Branch and TaskName, which depend on its source: the values task image
// names and task files are rendered with, by the API when a run is made and by the worker that runs it.
export interface RunVariables {
  ID: string;
  Registry: string;
  RegistryName: string;
  Date: string;
  OS: string;
  Architecture: string;
}

export function runVariables(id: string, platform: string, defaultRegistry: string, now = new Date()): RunVariables {
  const pad = (n: number) => String(n).padStart(2, '0');
  const [os, arch] = platform.split('/');
  return {
    ID: id,
    Registry: defaultRegistry,
    RegistryName: defaultRegistry.split(/[.:]/)[0]!,
    Date: `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}-${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}z`,
    OS: os ?? 'linux',
    Architecture: arch ?? 'amd64',
  };
}
