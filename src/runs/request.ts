// The body of POST /v1/runs, validated at the edge: shapes and sizes here, meaning (image names,
// platform, context existence) in RunService.
import { z } from 'zod';

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const args = z
  .record(z.string().regex(ARG_NAME, 'a build-arg name is letters, digits and _, not starting with a digit').max(256), z.string().max(65_536))
  .refine((r) => Object.keys(r).length <= 200, 'at most 200 build args');

export const RunRequest = z
  .object({
    context: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'context must be the sha256:<64 hex> digest of an uploaded context'),
    dockerfile: z.string().min(1).max(4096).default('Dockerfile'),
    images: z.array(z.string().min(1).max(1024)).max(50).default([]),
    buildArgs: args.default({}),
    secretBuildArgs: args.default({}),
    platform: z.string().min(1).max(100).default('linux/amd64'),
    target: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'target must be a build stage name').optional(),
    noPush: z.boolean().default(false),
    timeoutSeconds: z.number().int().positive().optional(),
  })
  .strict();
export type RunRequest = z.infer<typeof RunRequest>;
