// The run: what was asked for, where it is in its lifecycle, and what it produced. A run is stored and
// answered in one shape, which the API contract defines (contract/runs.ts); this is its home in the domain.
export {
  BaseImageUse,
  BuildSpec,
  GitSource,
  isTerminal,
  OutputImage,
  PlatformResult,
  RebuildCause,
  Run,
  RUN_STATUSES,
  StepResult,
  TERMINAL_STATUSES,
  Trigger,
  TRIGGER_TYPES,
  type RunStatus,
} from '../contract/runs.js';
