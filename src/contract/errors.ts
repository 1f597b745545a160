// The body of every error answer: a snake_case code a program can branch on, and a message that says what
// went wrong and what to do. The API writes it (api/errors.ts), the CLI reads it (cli/api-client.ts).
import * as z from '../zod-mini.js';

export const ErrorBody = z.object({
  error: z.object({
    code: z.string().check(z.regex(/^[a-z][a-z0-9_]*$/, 'an error code is snake_case')),
    message: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
