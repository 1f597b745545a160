// zod's small build, for what the CLI loads at startup: the same validation as `zod` with functions in place
// of methods, so a bundle keeps only what it calls (the full build's import would be paid at every CLI start).
// English messages, as `zod` gives by default; the setting is zod's own, shared with the full build.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

export * from 'zod/mini';
