// The task file schema for editors (YAML language servers read `# yaml-language-server: $schema=…`),
// written to task-schemas/ by `npm run schemas` from the zod schema the loader checks with.
import type * as z from '../zod-mini.js';
import { TaskFile } from './schema.js';

export const TASK_FILE_SCHEMAS: Record<string, z.ZodMiniType> = {
  'acr-task.schema.json': TaskFile,
};
