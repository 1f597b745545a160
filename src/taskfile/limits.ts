// Limits on task files and their inputs, against hostile or runaway input: a task file is read by the API
// and by workers, so a YAML bomb or a megabyte of nesting must fail fast with a message, not hang a process.
export const TASK_FILE_LIMITS = {
  /** A real task file is a few kilobytes. */
  bytes: 1024 * 1024,
  /** Nesting of maps and lists; the format needs four or five. */
  depth: 32,
  /** YAML aliases (*ref) expanded in all; enough for anchors, far too few for a billion laughs. */
  aliases: 100,
  steps: 200,
  templates: 10_000,
  /** Characters of the task file once every template and alias is expanded. */
  expandedChars: 4 * 1024 * 1024,
} as const;
