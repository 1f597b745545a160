// Assembles a windows/amd64 image without a daemon, as `crane append` / `crane mutate` do, for Dockerfiles with
// no RUN: the base is resolved in the registry, each COPY/ADD becomes a Windows-format layer, the metadata
// instructions edit the config, and blobs plus the manifest are pushed by digest. Composition only; the parts are
// dockerfile-plan (what to do), evaluate (config), build-layers (tars), base-image and push (registry).
import type { RegistryClient } from '../../../src/registry/client.js';
import { digestOf } from '../../../src/registry/digest.js';
import { parseImageReference, type ImageReference } from '../../../src/registry/reference.js';
import { resolveWindowsBase } from './base-image.js';
import { buildCopyLayer, buildWorkdirLayer, workdirLayerNeeded, type BuiltLayer } from './build-layers.js';
import { parseWindowsDockerfile } from '../../../src/dockerfile/windows/plan.js';
import { WindowsAssemblyError } from '../../../src/dockerfile/windows/errors.js';
import { evaluateDockerfile, resolveFromImage } from './evaluate.js';
import { deriveImageConfig } from './image-config.js';
import { LayerConflictError } from './layer-writer.js';
import { buildManifest, pushAssembledImage } from './push.js';

export { canAssembleWithoutDaemon, type AssemblyCheck } from '../../../src/dockerfile/windows/plan.js';
export { WindowsAssemblyError, isWindowsAssemblyError } from '../../../src/dockerfile/windows/errors.js';

export interface AssembleOptions {
  /** The Dockerfile text. */
  dockerfile: string;
  /** The unpacked build context on disk (already filtered by .dockerignore). */
  contextDir: string;
  buildArgs: Record<string, string>;
  registry: RegistryClient;
  /** Where image names without a registry go. */
  defaultRegistry: string;
  /** The repository blobs and the manifest are pushed into; without it nothing is pushed (a dry run). */
  target?: { registry: string; repository: string };
  /** Progress lines for the run log, e.g. `step 2/5: COPY app/ C:/app`. */
  onLine: (line: string) => void;
  signal?: AbortSignal;
  /** Which windows/amd64 entry of a base index to use, by os.version prefix (`10.0.20348`); default: the newest. */
  osVersion?: string;
}

export interface AssembleResult {
  manifestDigest: string;
  manifestMediaType: string;
  size: number;
  platform: { os: 'windows'; architecture: 'amd64'; 'os.version'?: string };
}

export async function assembleWindowsImage(opts: AssembleOptions): Promise<AssembleResult> {
  const { onLine, signal } = opts;
  const plan = parseWindowsDockerfile(opts.dockerfile);
  const evalOpts = { buildArgs: opts.buildArgs, buildPlatform: hostPlatform() };
  const total = plan.globalArgs.length + 1 + plan.steps.length;
  let stepNumber = 0;
  const step = (source: string) => onLine(`step ${++stepNumber}/${total}: ${source}`);

  for (const arg of plan.globalArgs) step(arg.source);
  step(plan.from.source);
  const from = resolveFromImage(plan, evalOpts);
  const base = await resolveWindowsBase(opts.registry, parseImageReference(from.image, { defaultRegistry: opts.defaultRegistry }), {
    line: plan.from.line,
    onLine,
    ...(opts.osVersion ? { osVersion: opts.osVersion } : {}),
  });
  const osVersion = base.osVersion;
  onLine(`base: ${base.ref.registry}/${base.ref.repository}@${base.manifestDigest} (windows/amd64${osVersion ? ` ${osVersion}` : ''}, ${base.layers.length} layers)`);

  const evaluated = evaluateDockerfile(plan, base.config.config, evalOpts);
  for (const warning of evaluated.warnings) onLine(`warning: ${warning}`);
  if (evaluated.unusedBuildArgs.length > 0) onLine(`warning: build args not consumed by any ARG: ${evaluated.unusedBuildArgs.join(', ')}`);

  const built: (BuiltLayer | undefined)[] = [];
  const created = new Set<string>();
  for (const [i, planStep] of plan.steps.entries()) {
    signal?.throwIfAborted();
    step(planStep.source);
    const index = evaluated.history[i]?.layer;
    const layerPlan = index === undefined ? undefined : evaluated.layers[index];
    if (layerPlan?.kind !== 'copy') continue;
    const { layer, directories } = await atLine(planStep.line, () => buildCopyLayer(opts.contextDir, layerPlan));
    built[index!] = layer;
    for (const dir of directories) created.add(dir);
    onLine(`layer ${layer.digest}: ${layer.files} files, ${layer.size} bytes compressed`);
  }
  for (const [index, layerPlan] of evaluated.layers.entries()) {
    if (layerPlan.kind !== 'workdir' || !workdirLayerNeeded(layerPlan.dir, evaluated.baseWorkdir, created)) continue;
    built[index] = await buildWorkdirLayer(layerPlan.dir);
    onLine(`layer ${built[index]!.digest}: creates the working directory of line ${layerPlan.line}`);
  }

  const newLayers = built.filter((l): l is BuiltLayer => l !== undefined);
  const imageConfig = deriveImageConfig(base.config, {
    config: evaluated.config,
    ...(evaluated.author !== undefined ? { author: evaluated.author } : {}),
    history: evaluated.history,
    diffIds: evaluated.layers.map((_, i) => built[i]?.diffId),
    created: new Date().toISOString(),
  });
  const config = Buffer.from(JSON.stringify(imageConfig));
  const manifest = buildManifest(base, { digest: digestOf(config), size: config.length }, newLayers);

  signal?.throwIfAborted();
  if (opts.target) {
    const target: ImageReference = { registry: opts.target.registry, repository: opts.target.repository };
    await pushAssembledImage({ registry: opts.registry, target, base, config, layers: newLayers, manifest, onLine, ...(signal ? { signal } : {}) });
  } else onLine(`no target repository: manifest ${manifest.digest} was not pushed`);

  return {
    manifestDigest: manifest.digest,
    manifestMediaType: manifest.mediaType,
    size: manifest.raw.length,
    platform: { os: 'windows', architecture: 'amd64', ...(osVersion ? { 'os.version': osVersion } : {}) },
  };
}

async function atLine<T>(line: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LayerConflictError) throw new WindowsAssemblyError(err.message, line);
    throw err;
  }
}

/** BUILDPLATFORM: where this assembler runs (no RUN executes anywhere). */
function hostPlatform(): { os: string; architecture: string } {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };
  return { os: process.platform === 'win32' ? 'windows' : process.platform, architecture: arch[process.arch] ?? process.arch };
}
