// How an image is built, apart from what is built (context, Dockerfile, platform) and where it goes (images):
// the options that travel as one object from a run request or a task, through the run record and the job, to
// ImageBuilder.build. They sit flat in the API's bodies and answers, named as docker build's flags, and are
// picked out here by this shape's keys. Adding one is a field here, a flag in the CLI, and its meaning in the
// builder adapter; nothing between them names it.
import * as z from '../zod-mini.js';
import { LABEL_KEY, MAX_IMAGE, MAX_LABEL_KEY, MAX_LABEL_VALUE, MAX_LABELS } from './limits.js';

/** Images a build may take cache from, at most. */
const MAX_CACHE_FROM = 10;

export const Labels = z
  .record(z.string().check(z.maxLength(MAX_LABEL_KEY), z.regex(LABEL_KEY, 'a label key has no spaces, control characters or =')), z.string().check(z.maxLength(MAX_LABEL_VALUE)))
  .check(z.refine((r) => Object.keys(r).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`));

export const BuildOptions = z.strictObject({
  /** docker build --label: labels on the image config. */
  labels: z.optional(Labels),
  /** docker build --no-cache: every step runs again. */
  noCache: z.optional(z.boolean()),
  /** docker build --pull: base images are fetched again even when the builder has them. */
  pull: z.optional(z.boolean()),
  /** buildx --cache-from: images (pushed with inline cache) whose layers may serve as this build's cache. */
  cacheFrom: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(MAX_IMAGE), z.regex(/^[^\s]+$/, 'an image name has no spaces'))).check(z.maxLength(MAX_CACHE_FROM))),
  /** buildx --cache-to type=inline: the cache metadata goes into the pushed image, for a later --cache-from. The Engine exports no other kind. */
  cacheTo: z.optional(z.enum(['inline'])),
});
export type BuildOptions = z.infer<typeof BuildOptions>;

const KEYS = Object.keys(BuildOptions.shape) as (keyof BuildOptions)[];

/** The names of the options that are set in `source`, e.g. to refuse them where they do not apply. */
export function buildOptionNames(source: Partial<BuildOptions>): string[] {
  return KEYS.filter((key) => source[key] !== undefined);
}

/** The build options among an object's fields (a request, a task, a stored run's request): only those set. */
export function buildOptionsOf(source: Partial<BuildOptions>): BuildOptions {
  return Object.fromEntries(KEYS.filter((key) => source[key] !== undefined).map((key) => [key, source[key]])) as BuildOptions;
}
