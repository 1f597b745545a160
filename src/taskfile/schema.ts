// The task file format, ACR Tasks YAML v1.1.0 (https://learn.microsoft.com/azure/container-registry/container-registry-tasks-reference-yaml),
// as a strict zod schema: an unknown or misspelt property is an error rather than silently ignored.
// task-schemas/acr-task.schema.json is generated from it for editors (npm run schemas). Written with zod's
// small build (functions in place of methods), as `slipway run -f` and `task validate` check files with it.
import * as z from '../zod-mini.js';

import { TASK_FILE_VERSIONS } from './version.js';

/** ACR's defaults: ten minutes a step, five seconds between retries, /workspace as the working directory. */
export const DEFAULT_STEP_TIMEOUT = 600;
export const DEFAULT_RETRY_DELAY = 5;
export const DEFAULT_WORKING_DIRECTORY = '/workspace';
export const PARALLEL = '-';

const seconds = (what: string) =>
  z.number().check(z.int(`${what} is a whole number of seconds`), z.minimum(0, `${what} cannot be negative`), z.maximum(86_400, `${what} is at most 86400 (a day)`));
const count = (what: string) => z.number().check(z.int(`${what} is a whole number`), z.minimum(0, `${what} cannot be negative`), z.maximum(100, `${what} is at most 100`));
const text = (max = 4096, min?: number) => z.string().check(z.maxLength(max, `at most ${max} characters`), ...(min === undefined ? [] : [z.minLength(min)]));
const envEntry = z.string().check(z.maxLength(65_536), z.regex(/^[A-Za-z_][A-Za-z0-9_.-]*=/, 'expected KEY=VALUE, e.g. MODE=test'));
export const STEP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const id = z.string().check(z.regex(STEP_ID, 'an id is letters, digits, _ . and -, starting with a letter or digit, at most 63 characters'));
/** An optional property with a description for editors. */
const described = <T extends z.ZodMiniType>(schema: T, description: string) => z.optional(schema.check(z.describe(description)) as T);
const names = (re: RegExp, message: string) => z.string().check(z.regex(re, message));

const VolumeMount = z.strictObject({
  name: z.string().check(z.minLength(1), z.describe('a volume declared under volumes')),
  mountPath: z.string().check(z.regex(/^\/[^\0]*$/, 'mountPath is an absolute path in the container'), z.maxLength(4096)),
});

export const Step = z
  .strictObject({
    id: described(id, 'names the step for when, and as the host name of its container; default acb_step_N'),
    build: described(text(65_536, 1), 'docker build arguments: -t, -f, --build-arg, --target, --platform, --cache-from, --no-cache and the context'),
    push: described(z.array(text(1024, 1)).check(z.minLength(1, 'push lists at least one image'), z.maxLength(50)), 'images to push'),
    cmd: described(text(65_536, 1), 'an image and the arguments of its container, e.g. "myimage --flag value"'),
    when: described(z.array(z.string().check(z.minLength(1))).check(z.maxLength(200)), '["-"] starts at once; [ids] waits for those steps; none waits for the previous step'),
    env: z.optional(z.array(envEntry).check(z.maxLength(500))),
    entryPoint: z.optional(text()),
    workingDirectory: z.optional(text()),
    disableWorkingDirectoryOverride: z.optional(z.boolean()),
    user: z.optional(text(256)),
    detach: described(z.boolean(), 'start the container and go on; it runs until the task ends'),
    keep: described(z.boolean(), 'keep the container after the task'),
    privileged: z.optional(z.boolean()),
    network: described(text(256), 'a network declared under networks'),
    ports: z.optional(z.array(text(256)).check(z.maxLength(50))),
    expose: z.optional(z.array(text(256)).check(z.maxLength(50))),
    volumeMounts: z.optional(z.array(VolumeMount).check(z.maxLength(50))),
    pull: z.optional(z.boolean()),
    cache: described(text(64), 'enabled: a build step takes its cache from, and leaves it in, <repository of its first tag>:cache_<task>_<step>; disabled (the default): no such cache'),
    isolation: described(z.enum(['default', 'process', 'hyperv']), 'Windows isolation; ignored on Linux'),
    // 0 means the default, as acr-builder reads an unset (zero) timeout.
    timeout: z.optional(seconds('timeout')),
    startDelay: z.optional(seconds('startDelay')),
    retries: z.optional(count('retries')),
    retryDelay: z.optional(seconds('retryDelay')),
    repeat: z.optional(count('repeat')),
    ignoreErrors: z.optional(z.boolean()),
  })
  .check(z.describe('one of build, push or cmd, with its properties'));
export type Step = z.infer<typeof Step>;

export const TaskFile = z
  .strictObject({
    // Checked by the loader in acr-builder's words (any case is valid, as there).
    version: described(z.string().check(z.maxLength(64)), `one of ${TASK_FILE_VERSIONS.join(', ')}; none: v1.0.0, which has no aliases`),
    stepTimeout: described(seconds('stepTimeout'), `seconds a step may take; 0 or none: ${DEFAULT_STEP_TIMEOUT}`),
    workingDirectory: described(text(), `working directory of cmd steps; default ${DEFAULT_WORKING_DIRECTORY}`),
    env: z.optional(z.array(envEntry).check(z.maxLength(500))),
    secrets: z.optional(
      z
        .array(
          z.strictObject({
            id: names(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, 'a secret id is letters, digits, _ and -'),
            keyvault: described(z.string().check(z.maxLength(2048)), 'not read by Slipway: give the value with --set-secret ID=VALUE'),
            clientID: z.optional(z.string().check(z.maxLength(256))),
          }),
        )
        .check(z.maxLength(100)),
    ),
    volumes: z.optional(
      z
        .array(
          z.strictObject({
            name: names(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a volume name is letters, digits, _ . and -'),
            secret: z
              .record(names(/^[A-Za-z0-9_.-]{1,255}$/, 'a file name is letters, digits, _ . and -'), z.string().check(z.maxLength(1024 * 1024)))
              .check(z.describe('file name to base64-encoded content')),
          }),
        )
        .check(z.maxLength(20)),
    ),
    networks: z.optional(
      z
        .array(
          z.strictObject({
            name: names(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a network name is letters, digits, _ . and -'),
            driver: z.optional(z.enum(['bridge'], { error: 'driver: only bridge networks are created' })),
            ipv6: z.optional(z.boolean()),
            skipCreation: z.optional(z.boolean()),
            isDefault: z.optional(z.boolean()),
          }),
        )
        .check(z.maxLength(10)),
    ),
    alias: described(
      z.strictObject({
        values: z.optional(z.record(names(/^[A-Za-z0-9]+$/, 'an alias name is letters and digits'), z.string().check(z.maxLength(4096)))),
        directive: z.optional(names(/^[^A-Za-z0-9\s]$/, 'directive is one character that is not a letter, digit or space')),
      }),
      'aliases: $NAME stands for values.NAME',
    ),
    steps: z.array(Step).check(z.minLength(1, 'a task has at least one step'), z.maxLength(200, 'a task has at most 200 steps')),
  })
  .check(z.describe('An ACR Tasks multi-step task file (YAML v1.1.0), as Slipway runs it'));
export type TaskFile = z.infer<typeof TaskFile>;
