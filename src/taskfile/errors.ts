// Errors of a task file: every problem found, each with the line and column it is at, so an editor or a
// terminal can jump to it. One TaskFileError carries them all (a user fixes several at once).
import { BadInputError } from '../errors.js';

export interface TaskFileIssue {
  /** 1-based, as editors count. */
  line: number;
  column: number;
  message: string;
}

export function formatIssue(file: string, issue: TaskFileIssue): string {
  return `${file}:${issue.line}:${issue.column}: ${issue.message}`;
}

export class TaskFileError extends BadInputError {
  override name = 'TaskFileError';
  constructor(
    readonly file: string,
    readonly issues: TaskFileIssue[],
  ) {
    super(issues.map((i) => formatIssue(file, i)).join('\n'), 'invalid_task_file');
  }
}

/** Collects issues while a file is checked; `throwIfAny` ends the check once a stage found problems. */
export class IssueList {
  readonly items: TaskFileIssue[] = [];

  constructor(readonly file: string) {}

  add(at: { line: number; column: number }, message: string): void {
    // A hostile file could produce millions of errors; the first hundred say enough.
    if (this.items.length < MAX_ISSUES) this.items.push({ line: at.line, column: at.column, message });
  }

  get size(): number {
    return this.items.length;
  }

  throwIfAny(mask: (text: string) => string = (t) => t): void {
    if (this.items.length === 0) return;
    const sorted = [...this.items].sort((a, b) => a.line - b.line || a.column - b.column);
    throw new TaskFileError(this.file, sorted.map((i) => ({ ...i, message: mask(i.message) })));
  }
}

const MAX_ISSUES = 100;
