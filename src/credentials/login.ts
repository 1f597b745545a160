// A registry login as a run uses it: the password in clear, so it lives only in memory and, while a job is
// queued, inside its sealed value (see secrets/sealed-jobs.ts).
import * as z from 'zod';

export const RegistryLogin = z.object({ host: z.string(), username: z.string(), password: z.string() });
export type RegistryLogin = z.infer<typeof RegistryLogin>;
