// Tasks: named, stored build definitions (the `az acr task create` analogue) — a git source, a Dockerfile,
// images, platforms and triggers. Git tokens are kept apart and never returned. The settable fields and the
// stored task are the API contract's shapes (contract/requests.ts, contract/tasks.ts).
export { TaskPatch, TaskSpec } from '../contract/requests.js';
export { BASE_IMAGE_TRIGGERS, Task, TASK_NAME } from '../contract/tasks.js';
