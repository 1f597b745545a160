// The body of every error answer: a snake_case code a program can branch on, and a message that says what
// went wrong and what to do. The API writes it (api/errors.ts); the CLI (cli/api-client.ts) and the dashboard
// (web/api.ts) read it into an ApiError.
import * as z from '../zod-mini.js';

export const ErrorBody = z.object({
  error: z.object({
    code: z.string().check(z.regex(/^[a-z][a-z0-9_]*$/, 'an error code is snake_case')),
    message: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error answer as a client holds it: the status, the body's code and message. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
