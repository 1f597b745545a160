// The task file format, ACR Tasks YAML v1.1.0 (https://learn.microsoft.com/azure/container-registry/container-registry-tasks-reference-yaml),
// as a strict zod schema: an unknown or misspelt property is an error rather than silently ignored.
// task-schemas/acr-task.schema.json is generated from it for editors (npm run schemas).
import * as z from 'zod';

export const TASK_FILE_VERSIONS = ['v1.1.0', 'v1.0.0', '1.0-preview-1'] as const;
/** ACR's defaults: ten minutes a step, five seconds between retries, /workspace as the working directory. */
export const DEFAULT_STEP_TIMEOUT = 600;
export const DEFAULT_RETRY_DELAY = 5;
export const DEFAULT_WORKING_DIRECTORY = '/workspace';
export const PARALLEL = '-';

const seconds = (what: string) => z.number().int(`${what} is a whole number of seconds`).min(0, `${what} cannot be negative`).max(86_400, `${what} is at most 86400 (a day)`);
const count = (what: string) => z.number().int(`${what} is a whole number`).min(0, `${what} cannot be negative`).max(100, `${what} is at most 100`);
const text = (max = 4096) => z.string().max(max, `at most ${max} characters`);
const envEntry = z.string().max(65_536).regex(/^[A-Za-z_][A-Za-z0-9_.-]*=/, 'expected KEY=VALUE, e.g. MODE=test');
export const STEP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const id = z.string().regex(STEP_ID, 'an id is letters, digits, _ . and -, starting with a letter or digit, at most 63 characters');

const VolumeMount = z.strictObject({
  name: z.string().min(1).describe('a volume declared under volumes'),
  mountPath: z.string().regex(/^\/[^\0]*$/, 'mountPath is an absolute path in the container').max(4096),
});

export const Step = z
  .strictObject({
    id: id.optional().describe('names the step for when, and as the host name of its container; default acb_step_N'),
    build: text(65_536).min(1).optional().describe('docker build arguments: -t, -f, --build-arg, --target, --platform, --cache-from, --no-cache and the context'),
    push: z.array(text(1024).min(1)).min(1, 'push lists at least one image').max(50).optional().describe('images to push'),
    cmd: text(65_536).min(1).optional().describe('an image and the arguments of its container, e.g. "myimage --flag value"'),
    when: z.array(z.string().min(1)).max(200).optional().describe('["-"] starts at once; [ids] waits for those steps; none waits for the previous step'),
    env: z.array(envEntry).max(500).optional(),
    entryPoint: text().optional(),
    workingDirectory: text().optional(),
    disableWorkingDirectoryOverride: z.boolean().optional(),
    user: text(256).optional(),
    detach: z.boolean().optional().describe('start the container and go on; it runs until the task ends'),
    keep: z.boolean().optional().describe('keep the container after the task'),
    privileged: z.boolean().optional(),
    network: text(256).optional().describe('a network declared under networks'),
    ports: z.array(text(256)).max(50).optional(),
    expose: z.array(text(256)).max(50).optional(),
    volumeMounts: z.array(VolumeMount).max(50).optional(),
    pull: z.boolean().optional(),
    isolation: z.enum(['default', 'process', 'hyperv']).optional().describe('Windows isolation; ignored on Linux'),
    timeout: seconds('timeout').min(1, 'timeout is at least 1 second').optional(),
    startDelay: seconds('startDelay').optional(),
    retries: count('retries').optional(),
    retryDelay: seconds('retryDelay').optional(),
    repeat: count('repeat').optional(),
    ignoreErrors: z.boolean().optional(),
  })
  .describe('one of build, push or cmd, with its properties');
export type Step = z.infer<typeof Step>;

export const TaskFile = z
  .strictObject({
    version: z.enum(TASK_FILE_VERSIONS, { error: `version is one of ${TASK_FILE_VERSIONS.join(', ')}` }).optional(),
    stepTimeout: seconds('stepTimeout').min(1, 'stepTimeout is at least 1 second').optional().describe(`seconds a step may take; default ${DEFAULT_STEP_TIMEOUT}`),
    workingDirectory: text().optional().describe(`working directory of cmd steps; default ${DEFAULT_WORKING_DIRECTORY}`),
    env: z.array(envEntry).max(500).optional(),
    secrets: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, 'a secret id is letters, digits, _ and -'),
          keyvault: z.string().max(2048).optional().describe('not read by Slipway: give the value with --set-secret ID=VALUE'),
          clientID: z.string().max(256).optional(),
        }),
      )
      .max(100)
      .optional(),
    volumes: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a volume name is letters, digits, _ . and -'),
          secret: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, 'a file name is letters, digits, _ . and -'), z.string().max(1024 * 1024)).describe('file name to base64-encoded content'),
        }),
      )
      .max(20)
      .optional(),
    networks: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a network name is letters, digits, _ . and -'),
          driver: z.enum(['bridge'], { error: 'driver: only bridge networks are created' }).optional(),
          ipv6: z.boolean().optional(),
          skipCreation: z.boolean().optional(),
          isDefault: z.boolean().optional(),
        }),
      )
      .max(10)
      .optional(),
    alias: z
      .strictObject({
        values: z.record(z.string().regex(/^[A-Za-z0-9]+$/, 'an alias name is letters and digits'), z.string().max(4096)).optional(),
        directive: z.string().regex(/^[^A-Za-z0-9\s]$/, 'directive is one character that is not a letter, digit or space').optional(),
      })
      .optional()
      .describe('aliases: $NAME stands for values.NAME'),
    steps: z.array(Step).min(1, 'a task has at least one step').max(200, 'a task has at most 200 steps'),
  })
  .describe('An ACR Tasks multi-step task file (YAML v1.1.0), as Slipway runs it');
export type TaskFile = z.infer<typeof TaskFile>;
