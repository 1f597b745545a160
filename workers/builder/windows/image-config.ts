// The image configuration blob: its schema (validated when read from the registry) and the new config made from
// the base's plus what the Dockerfile changed — diff_ids and history appended, `config` replaced. Fields we do not
// know are kept as they were. https://github.com/opencontainers/image-spec/blob/v1.1.0/config.md and
// https://github.com/moby/docker-image-spec/blob/v1.3.1/spec.md (ArgsEscaped, Shell, OnBuild).
import * as z from 'zod';
import { digestProblem } from '../../../src/registry/reference.js';

const digest = z.string().refine((d) => digestProblem(d) === undefined, { message: 'not a sha256/sha384/sha512 digest' });

export const containerConfigSchema = z.looseObject({
  User: z.string().optional(),
  ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
  Env: z.array(z.string()).nullish(),
  Entrypoint: z.array(z.string()).nullish(),
  Cmd: z.array(z.string()).nullish(),
  Volumes: z.record(z.string(), z.unknown()).nullish(),
  WorkingDir: z.string().optional(),
  Labels: z.record(z.string(), z.string()).nullish(),
  StopSignal: z.string().optional(),
  ArgsEscaped: z.boolean().optional(),
  Shell: z.array(z.string()).nullish(),
  OnBuild: z.array(z.string()).nullish(),
});

const historySchema = z.looseObject({
  created: z.string().optional(),
  created_by: z.string().optional(),
  author: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
});

export const imageConfigSchema = z.looseObject({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string(),
  os: z.string(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
  config: containerConfigSchema.nullish(),
  rootfs: z.looseObject({ type: z.literal('layers'), diff_ids: z.array(digest) }),
  history: z.array(historySchema).optional(),
});

export type ContainerConfig = z.infer<typeof containerConfigSchema>;
export type ImageConfig = z.infer<typeof imageConfigSchema>;
export type HistoryEntry = z.infer<typeof historySchema>;

/** What the history says a Dockerfile step did; `layer` is its index among the new layers, when it made one. */
export interface StepHistory {
  createdBy: string;
  layer?: number;
}

export interface NewConfigInput {
  config: ContainerConfig;
  author?: string;
  history: readonly StepHistory[];
  /** diff_id of each new layer by index; undefined for a planned layer that turned out not to be needed. */
  diffIds: readonly (string | undefined)[];
  created: string;
}

export const HISTORY_COMMENT = 'slipway.windows-assembly.v0';

/** The new image config: the base's, with `config`, `created`, history and diff_ids updated. */
export function deriveImageConfig(base: ImageConfig, input: NewConfigInput): ImageConfig {
  const next: ImageConfig = { ...base, created: input.created, config: compactConfig(input.config) };
  if (input.author !== undefined) next.author = input.author;
  // Both describe the container that built the base (classic builder); they would mislead here.
  delete (next as Record<string, unknown>)['container'];
  delete (next as Record<string, unknown>)['container_config'];
  const diffIds = [...base.rootfs.diff_ids];
  const history = [...(base.history ?? [])];
  // Like BuildKit's exporter: base layers without a history entry get an empty one, so entries and layers line up.
  const described = history.filter((h) => !h.empty_layer).length;
  if (described < diffIds.length) history.unshift(...Array.from({ length: diffIds.length - described }, () => ({})));
  for (const step of input.history) {
    const diffId = step.layer === undefined ? undefined : input.diffIds[step.layer];
    if (diffId !== undefined) diffIds.push(diffId);
    const entry: HistoryEntry = { created: input.created, created_by: step.createdBy, comment: HISTORY_COMMENT };
    if (diffId === undefined) entry.empty_layer = true;
    history.push(entry);
  }
  next.rootfs = { ...base.rootfs, diff_ids: diffIds };
  next.history = history;
  return next;
}

/** Drops empty collections and a false ArgsEscaped, as Docker's omitempty does. */
function compactConfig(config: ContainerConfig): ContainerConfig {
  const out: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(out)) {
    if (value === null || value === undefined) delete out[key];
    else if (Array.isArray(value) && value.length === 0 && key !== 'Cmd' && key !== 'Entrypoint') delete out[key];
    else if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) delete out[key];
  }
  if (out['ArgsEscaped'] === false) delete out['ArgsEscaped'];
  return out as ContainerConfig;
}
