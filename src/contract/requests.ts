// What clients send: every request body and query of the API, with the limits they are held to. Apart from
// the answers (runs.ts, tasks.ts, graph.ts) because the CLI needs only their types: it checks its flags itself
// (limits.ts), and building these schemas would cost every command's start.
import * as z from '../zod-mini.js';
import { RUN_STATUSES } from '../runs/status.js';
import { BASE_IMAGE_TRIGGERS, TASK_NAME } from '../tasks/names.js';
import { BuildOptions } from './build-options.js';
import { CONTEXT_DIGEST } from './contexts.js';
import { looksLikeGitContext } from '../git/context.js';
import { EVENT_ID } from './logs.js';
import { ROLES, SCOPE_PATTERN, TOKEN_NAME } from './tokens.js';
import { MAX_REGISTRY_HOST, MAX_REGISTRY_PASSWORD, REGISTRY_HOST, REGISTRY_USERNAME } from './registries.js';
import {
  ARG_NAME,
  MAX_ARG_NAME,
  MAX_ARG_VALUE,
  MAX_ARGS,
  MAX_CONTEXT,
  MAX_IMAGE,
  MAX_IMAGES,
  MAX_PATH,
  MAX_PLATFORM,
  MAX_SCHEDULE,
  MAX_SCHEDULES,
  MAX_SECRET,
  MAX_SECRETS,
  MAX_TOKEN,
  MAX_VALUE_NAME,
  MAX_VALUES,
  SECRET_ID,
} from './limits.js';

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const top = z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 20);
const flag = z.enum(['0', '1', 'true', 'false']);
const image = text(MAX_IMAGE);

/** GET /v1/runs and GET /v1/tasks/:name/runs: newest first, optionally of one status. */
export const RunListQuery = z.strictObject({ status: z.optional(z.enum(RUN_STATUSES)), top });
export type RunListQuery = z.infer<typeof RunListQuery>;

export const BuildArgs = z
  .record(z.string().check(z.regex(ARG_NAME, 'a build-arg name is letters, digits and _, not starting with a digit'), z.maxLength(MAX_ARG_NAME)), z.string().check(z.maxLength(MAX_ARG_VALUE)))
  .check(z.refine((r) => Object.keys(r).length <= MAX_ARGS, `at most ${MAX_ARGS} build args`));

/** Secret id → value: ids as Docker and ACR name secrets, values of bounded size. */
const SecretValues = z.record(z.string(), z.string().check(z.maxLength(MAX_SECRET))).check(
  z.superRefine((r, ctx) => {
    const keys = Object.keys(r);
    if (keys.length > MAX_SECRETS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_SECRETS} secrets` });
    const bad = keys.find((k) => !SECRET_ID.test(k));
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `secret id ${JSON.stringify(bad.slice(0, 60))} must be 1-128 letters, digits, _ . and -` });
  }),
);

/**
 * The body of POST /v1/runs: shapes and sizes here, meaning (image names, platform, context existence) in
 * RunService. Either a Dockerfile build, or `taskFile` with its values and secrets.
 */
export const RunRequest = z.strictObject({
  /** An uploaded context's digest, or a git repository as `docker build` takes one: `URL[#REF[:DIR]]`. */
  context: z.string().check(
    z.maxLength(MAX_CONTEXT),
    z.refine((v) => CONTEXT_DIGEST.test(v) || looksLikeGitContext(v), 'context must be the sha256:<64 hex> digest of an uploaded context, or a git repository URL[#ref[:dir]]'),
  ),
  dockerfile: z._default(text(MAX_PATH), 'Dockerfile'),
  images: z._default(z.array(text(MAX_IMAGE)).check(z.maxLength(MAX_IMAGES)), []),
  buildArgs: z._default(BuildArgs, {}),
  secretBuildArgs: z._default(BuildArgs, {}),
  platform: z._default(text(MAX_PLATFORM), 'linux/amd64'),
  target: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'target must be a build stage name'))),
  noPush: z._default(z.boolean(), false),
  timeoutSeconds: z.optional(z.int().check(z.positive())),
  ...BuildOptions.shape,
  /**
   * BuildKit secrets (`docker build --secret`), id → value, for `RUN --mount=type=secret,id=…`: served to the
   * build from the worker's memory, sealed while queued, masked in the log, never stored; only the ids are kept.
   */
  buildSecrets: z._default(SecretValues, {}),
  /** A multi-step task file (ACR task YAML) inside the context, run instead of one Dockerfile build. */
  taskFile: z.optional(text(MAX_PATH)),
  /** The task file's {{.Values.X}}: from --set and --values. */
  values: z.optional(z.record(z.string().check(z.maxLength(MAX_VALUE_NAME)), z.unknown()).check(z.refine((r) => Object.keys(r).length <= MAX_VALUES, `at most ${MAX_VALUES} values`))),
  /** The task file's secrets (--set-secret): masked in the log, never stored; only their names are kept. */
  secretValues: z.optional(SecretValues),
});
/** What the API makes of a body: defaults filled in. */
export type RunRequest = z.output<typeof RunRequest>;
/** What a client may send: every field but `context` may be left out. */
export type RunSubmission = z.input<typeof RunRequest>;

/** GET /v1/runs/:id/logs: the log as text, or followed as Server-Sent Events (logs.ts). */
export const LogQuery = z.object({ follow: z.optional(flag), lastEventId: z.optional(z.string().check(z.regex(EVENT_ID))) });

/** The settable fields of a task. */
const fields = {
  /** A git URL, `#ref` and `:subdir` optional. */
  context: text(MAX_CONTEXT),
  dockerfile: text(MAX_PATH),
  images: z.array(text(MAX_IMAGE)).check(z.maxLength(MAX_IMAGES)),
  platform: text(MAX_PLATFORM),
  buildArgs: BuildArgs,
  commitTrigger: z.boolean(),
  prTrigger: z.boolean(),
  baseImageTrigger: z.enum(BASE_IMAGE_TRIGGERS),
  /** 5-field cron expressions, in UTC. */
  schedules: z.array(text(MAX_SCHEDULE)).check(z.maxLength(MAX_SCHEDULES)),
  timeoutSeconds: z.optional(z.int().check(z.positive())),
  noPush: z.boolean(),
  /** Its runs push by digest only and wait in quarantine until a scanner approves the image. */
  quarantine: z.boolean(),
  /**
   * What a pull-request run pushes. By default nothing: a pull request's code is its author's, and its image
   * must not land on the task's own tags. `pullRequestImages` names the tags such a run pushes instead
   * (run variables allowed, e.g. `app:pr-{{.Run.ID}}`); `pullRequestPush` lets it push what a commit run pushes.
   */
  pullRequestPush: z.boolean(),
  pullRequestImages: z.array(text(MAX_IMAGE)).check(z.maxLength(MAX_IMAGES)),
  ...BuildOptions.shape,
  /** Write-only: stored apart, never returned, masked in logs. */
  gitToken: z.optional(text(MAX_TOKEN)),
  /**
   * Write-only: the bearer token POST /v1/webhooks/git takes for pushes to this task's repository (stored as
   * a hash), so a token given to one repository's git server triggers no other repository's tasks.
   */
  webhookToken: z.optional(text(MAX_TOKEN)),
};

/** A new task's fields: a context, and defaults for the rest. */
export const TaskSpec = z.strictObject({
  ...fields,
  dockerfile: z._default(fields.dockerfile, 'Dockerfile'),
  images: z._default(fields.images, []),
  platform: z._default(fields.platform, 'linux/amd64'),
  buildArgs: z._default(fields.buildArgs, {}),
  commitTrigger: z._default(fields.commitTrigger, true),
  prTrigger: z._default(fields.prTrigger, false),
  baseImageTrigger: z._default(fields.baseImageTrigger, 'runtime'),
  schedules: z._default(fields.schedules, []),
  noPush: z._default(fields.noPush, false),
  quarantine: z._default(fields.quarantine, false),
  pullRequestPush: z._default(fields.pullRequestPush, false),
  pullRequestImages: z._default(fields.pullRequestImages, []),
});
export type TaskSpec = z.output<typeof TaskSpec>;

/** PATCH /v1/tasks/:name: only the fields given change. No defaults here, or a field left out would be reset. */
export const TaskPatch = z.partial(z.strictObject(fields));
/** The fields as a client sends them: all optional, as in a PATCH. */
export type TaskFields = z.input<typeof TaskPatch>;

/** POST /v1/tasks: a name, a context, and any other settable field. */
export const TaskCreate = z.strictObject({ name: z.string().check(z.regex(TASK_NAME)), ...TaskSpec.shape });
export type TaskCreate = z.input<typeof TaskCreate>;

/** GET /v1/graph/dependents. */
export const DependentsQuery = z.strictObject({ image, transitive: z.optional(flag) });

/** POST /v1/graph/notify. */
export const NotifyRequest = z.strictObject({ image });

/** GET /v1/rebuilds. */
export const RebuildListQuery = z.strictObject({ top });

const scopePatterns = z.array(z.string().check(z.regex(SCOPE_PATTERN, 'a pattern is a repository or task name, * for any characters, e.g. team-a/*'))).check(z.maxLength(50));

/** POST /v1/tokens. */
export const TokenCreate = z.strictObject({
  name: z.string().check(z.regex(TOKEN_NAME, 'a token name is 1-64 letters, digits and _ . @ -')),
  role: z.enum(ROLES),
  /** Repositories it may push to (`team-a/*`); none means any. */
  repositories: z._default(scopePatterns, []),
  /** Tasks it may act on; none means any. */
  tasks: z._default(scopePatterns, []),
  /** Days until it stops working; none means it never expires. */
  expiresInDays: z.optional(z.int().check(z.minimum(1), z.maximum(3650))),
});
export type TokenCreate = z.input<typeof TokenCreate>;

/**
 * PATCH /v1/tokens/:name: what changes in a token, the rest stays; its secret never changes (revoke and create
 * for that). `expiresInDays` counts from now; null makes it never expire.
 */
export const TokenUpdate = z.strictObject({
  role: z.optional(z.enum(ROLES)),
  repositories: z.optional(scopePatterns),
  tasks: z.optional(scopePatterns),
  expiresInDays: z.optional(z.nullable(z.int().check(z.minimum(1), z.maximum(3650)))),
}).check(z.refine((u) => Object.keys(u).length > 0, 'give at least one of role, repositories, tasks and expiresInDays'));
export type TokenUpdate = z.input<typeof TokenUpdate>;

const registryHost = z.string().check(z.maxLength(MAX_REGISTRY_HOST), z.regex(REGISTRY_HOST, 'a registry is host[:port], e.g. ghcr.io or registry.example.com:5000 (no scheme, no path)'));

/** POST /v1/registries: a login, for every run or (with `task`) for one task's runs. */
export const RegistryLoginRequest = z.strictObject({
  host: registryHost,
  username: z.string().check(z.regex(REGISTRY_USERNAME, 'a user name is 1-256 characters without spaces, colons or control characters')),
  // No control characters: a newline pasted with the password would be sent to the registry as part of it.
  password: z.string().check(z.maxLength(MAX_REGISTRY_PASSWORD, `a password is at most ${MAX_REGISTRY_PASSWORD} characters`), z.regex(/^[^\x00-\x1f\x7f]*$/, 'a password has no control characters (a trailing newline?)')),
  task: z.optional(z.string().check(z.regex(TASK_NAME, 'not a task name'))),
});
export type RegistryLoginRequest = z.input<typeof RegistryLoginRequest>;

/** DELETE /v1/registries/{host}: the server's login, or a task's. */
export const RegistryLogoutQuery = z.strictObject({ task: z.optional(z.string().check(z.regex(TASK_NAME, 'not a task name'))) });
