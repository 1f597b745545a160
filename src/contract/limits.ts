// The sizes and name rules the API's bodies are held to, apart from the schemas (runs.ts, tasks.ts) so that
// the CLI's flag parsers can check the same limits, naming the flag, without loading zod.
export const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_ARG_NAME = 256;
export const MAX_ARG_VALUE = 65_536;
export const MAX_ARGS = 200;
export const MAX_IMAGE = 1024;
export const MAX_IMAGES = 50;
/** A Dockerfile or task file path inside the context. */
export const MAX_PATH = 4096;
export const MAX_PLATFORM = 100;
/** A task's git context: URL, #ref and :subdir. */
export const MAX_CONTEXT = 2048;
export const MAX_SCHEDULE = 200;
export const MAX_SCHEDULES = 20;
export const MAX_TOKEN = 4096;
export const MAX_VALUES = 500;
export const MAX_VALUE_NAME = 256;
export const SECRET_ID = /^[A-Za-z0-9_.-]{1,128}$/;
export const MAX_SECRETS = 100;
export const MAX_SECRET = 65_536;
/** Image labels (--label K=V): Docker sets no limit; these keep a run record small. */
export const MAX_LABELS = 100;
export const MAX_LABEL_KEY = 256;
export const MAX_LABEL_VALUE = 4096;
/** A label key: no whitespace or control characters (and no `=`, which ends the key in K=V). */
export const LABEL_KEY = /^[^\s=\x00-\x1f\x7f-\x9f]+$/;
