// The options of `slipway task create|update`, from what commander hands over to the body of POST /v1/tasks or
// PATCH /v1/tasks/:name, and the pure parsers of task values: names, git contexts, in-repo paths, images with run
// variables, schedules and git tokens. Each throws a UsageError naming the flag; a token never appears in one.
import path from 'node:path';
import { BASE_IMAGE_TRIGGERS, TASK_NAME } from '../tasks/names.js';
import type { TaskFields } from '../contract/requests.js';
import { MAX_CONTEXT, MAX_IMAGE, MAX_IMAGES, MAX_PATH, MAX_SCHEDULE, MAX_SCHEDULES, MAX_TOKEN } from '../contract/limits.js';
import { UsageError } from './errors.js';
import { parseChoice, parseKeyValues, parseLabels, parseOnOff, parsePlatformFlag, parseTimeout, quote } from './flags.js';

/** The options as commander hands them over (repeatable ones collected). */
export interface TaskFlags {
  context?: string;
  file?: string;
  image?: string[];
  platform?: string;
  buildArg?: string[];
  label?: string[];
  commitTrigger?: string;
  prTrigger?: string;
  baseImageTrigger?: string;
  /** `false` after `--no-schedule` (update: remove every schedule). */
  schedule?: string[] | false;
  gitToken?: string;
  timeout?: string;
  /** create has only --no-push, so this is true unless given; update has --push and --no-push, so it is unset unless given. */
  push?: boolean;
  /** --quarantine <on|off>: its images wait for a scanner before any tag moves. */
  quarantine?: string;
}

/** Checks every flag and returns exactly the fields that were given, ready to send. */
export function parseTaskFlags(flags: TaskFlags): TaskFields {
  const images = flags.image;
  if (images && images.length > MAX_IMAGES) throw new UsageError(`--image: at most ${MAX_IMAGES} are accepted, got ${images.length}`);
  const fields: TaskFields = {
    context: flags.context === undefined ? undefined : parseGitContext(flags.context),
    dockerfile: flags.file === undefined ? undefined : parseRepoPath(flags.file, '--file'),
    images: images?.map((image) => parseTaskImage(image, '--image')),
    platform: flags.platform === undefined ? undefined : parsePlatformFlag(flags.platform),
    buildArgs: flags.buildArg === undefined ? undefined : parseKeyValues('--build-arg', flags.buildArg),
    labels: flags.label === undefined ? undefined : parseLabels(flags.label),
    commitTrigger: flags.commitTrigger === undefined ? undefined : parseOnOff(flags.commitTrigger, '--commit-trigger'),
    prTrigger: flags.prTrigger === undefined ? undefined : parseOnOff(flags.prTrigger, '--pr-trigger'),
    baseImageTrigger: flags.baseImageTrigger === undefined ? undefined : parseChoice(flags.baseImageTrigger, BASE_IMAGE_TRIGGERS, '--base-image-trigger'),
    schedules: flags.schedule === undefined ? undefined : flags.schedule === false ? [] : parseSchedules(flags.schedule),
    timeoutSeconds: flags.timeout === undefined ? undefined : parseTimeout(flags.timeout),
    noPush: flags.push === undefined ? undefined : !flags.push,
    quarantine: flags.quarantine === undefined ? undefined : parseOnOff(flags.quarantine, '--quarantine'),
    gitToken: flags.gitToken === undefined ? undefined : parseGitToken(flags.gitToken),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as TaskFields;
}

/** A task name as the API accepts it; checked so a typo cannot turn into another path. */
export function parseTaskName(input: string): string {
  if (!TASK_NAME.test(input)) throw new UsageError(`${quote(input)} is not a task name: letters, digits, - and _, starting with a letter or digit, at most 50`);
  return input;
}

/**
 * `<git-url>[#ref[:subdir]]`, passed on verbatim: the API applies the URL policy. Refused here: what cannot be
 * a git URL (a local folder is `slipway build`'s), and credentials, which would be stored and shown with the task.
 */
export function parseGitContext(input: string, flag = '--context'): string {
  if (input === '') throw new UsageError(`${flag}: the git URL is empty`);
  // First, and without echoing the input: the password or token in it must not reach the terminal either.
  if (hasCredentials(input)) throw new UsageError(`${flag}: the URL contains credentials; remove them and pass the token with --git-token`);
  if (input.length > MAX_CONTEXT) throw new UsageError(`${flag} ${quote(input)}: longer than ${MAX_CONTEXT} characters`);
  if (/[\s\p{Cc}]/u.test(input)) throw new UsageError(`${flag} ${quote(input)}: a git URL has no spaces or control characters`);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(input) && !/^(?:[^@/:]+@)?[^@/:]{2,}:/.test(input)) {
    throw new UsageError(
      `${flag} ${quote(input)}: expected a git URL, e.g. https://github.com/org/app.git#main:src; a task builds from git, not from a local folder (that is slipway build)`,
    );
  }
  return input;
}

/** A user:password in a URL's authority, any user in an http(s) one (`https://<token>@host`), or `user:pw@host:path`. */
function hasCredentials(input: string): boolean {
  const url = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/#?]*)/.exec(input);
  if (!url) return /^[^@/]*:[^@/]*@/.test(input);
  const [, scheme = '', authority = ''] = url;
  const at = authority.lastIndexOf('@');
  if (at === -1) return false;
  return /^https?$/i.test(scheme) || authority.slice(0, at).includes(':');
}

/** A file inside the repository (or its subdir), as `-f` names the Dockerfile; the API normalises it. */
export function parseRepoPath(input: string, flag: string): string {
  if (input === '') throw new UsageError(`${flag}: the path is empty`);
  if (input.length > MAX_PATH) throw new UsageError(`${flag} ${quote(input)}: longer than ${MAX_PATH} characters`);
  if (/\p{Cc}/u.test(input)) throw new UsageError(`${flag} ${quote(input)}: a path has no control characters`);
  const normal = path.posix.normalize(input.replaceAll('\\', '/'));
  if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw new UsageError(`${flag} ${quote(input)}: expected a path inside the repository, e.g. docker/Dockerfile`);
  }
  return input;
}

/**
 * An image name, possibly with run variables (`app:{{.Run.ID}}`, `$Registry/app:$ID`), passed on verbatim: the API
 * knows the variables. Spaces are allowed only inside `{{ }}`, where Go templates allow them.
 */
export function parseTaskImage(input: string, flag: string): string {
  if (input === '') throw new UsageError(`${flag}: the image name is empty`);
  if (input.length > MAX_IMAGE) throw new UsageError(`${flag} ${quote(input)}: longer than ${MAX_IMAGE} characters`);
  if (/\p{Cc}/u.test(input) || /\s/u.test(input.replace(/\{\{.*?\}\}/g, ''))) {
    throw new UsageError(`${flag} ${quote(input)}: an image name has no spaces (outside {{ }}) or control characters`);
  }
  return input;
}

/** Cron expressions, passed on verbatim: the API checks them (5 fields, UTC). */
export function parseSchedules(inputs: readonly string[], flag = '--schedule'): string[] {
  if (inputs.length > MAX_SCHEDULES) throw new UsageError(`${flag}: at most ${MAX_SCHEDULES} are accepted, got ${inputs.length}`);
  return inputs.map((input) => {
    if (input.trim() === '') throw new UsageError(`${flag}: the cron expression is empty`);
    if (input.length > MAX_SCHEDULE) throw new UsageError(`${flag} ${quote(input)}: longer than ${MAX_SCHEDULE} characters`);
    if (/\p{Cc}/u.test(input)) throw new UsageError(`${flag} ${quote(input)}: a cron expression is one line without control characters`);
    return input;
  });
}

/** A git token: never quoted, not even in part, whatever is wrong with it. */
export function parseGitToken(input: string, flag = '--git-token'): string {
  if (input === '') throw new UsageError(`${flag}: the token is empty`);
  if (input.length > MAX_TOKEN) throw new UsageError(`${flag}: the token is longer than ${MAX_TOKEN} characters`);
  if (/[\s\p{Cc}]/u.test(input)) throw new UsageError(`${flag}: the token contains whitespace or control characters (a pasted newline?)`);
  return input;
}
