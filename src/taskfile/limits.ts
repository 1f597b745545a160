// Limits on task files and their inputs, against hostile or runaway input: a task file is read by the API
// and by workers, so a YAML bomb or a megabyte of nesting must fail fast with a message, not hang a process.
export const TASK_FILE_LIMITS = {
  /**
   * A real task file is a few kilobytes (secret contents come from templates, expanded after parsing). The API
   * parses on its event loop, and parsing takes time in proportion to the text: this bounds one request's share.
   */
  bytes: 64 * 1024,
  /** Nesting of maps and lists; the format needs four or five. */
  depth: 32,
  /** YAML aliases (*ref) expanded in all; enough for anchors, far too few for a billion laughs. */
  aliases: 100,
  steps: 200,
  /** Template actions; a real file has dozens. */
  templates: 2_000,
  /** Characters of the task file once every template and alias is expanded. */
  expandedChars: 4 * 1024 * 1024,
} as const;
