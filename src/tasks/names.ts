// What a task's name may be and its base-image trigger modes, apart from the task schemas (model.ts) so that
// the CLI can check its flags without loading the server's zod models.
export const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$/;
export const BASE_IMAGE_TRIGGERS = ['runtime', 'all', 'off'] as const;
