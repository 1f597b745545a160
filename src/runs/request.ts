// The body of POST /v1/runs, validated at the edge: shapes and sizes here, meaning (image names,
// platform, context existence) in RunService.
import * as z from 'zod';

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_ID = /^[A-Za-z0-9_.-]{1,128}$/;
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
    /** A multi-step task file (ACR task YAML) inside the context, run instead of one Dockerfile build. */
    taskFile: z.string().min(1).max(4096).optional(),
    /** The task file's {{.Values.X}}: from --set and --values. */
    values: z.record(z.string().max(256), z.unknown()).refine((r) => Object.keys(r).length <= 500, 'at most 500 values').optional(),
    /** The task file's secrets (--set-secret): masked in the log, never stored; only their names are kept. */
    secretValues: z
      .record(z.string(), z.string().max(65_536))
      .superRefine((r, ctx) => {
        const keys = Object.keys(r);
        if (keys.length > 100) ctx.addIssue({ code: 'custom', message: 'at most 100 secrets' });
        const bad = keys.find((k) => !SECRET_ID.test(k));
        if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `secret id ${JSON.stringify(bad.slice(0, 60))} must be 1-128 letters, digits, _ . and -` });
      })
      .optional(),
  })
  .strict();
export type RunRequest = z.infer<typeof RunRequest>;
