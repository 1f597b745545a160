// Walks a Dockerfile's instructions the way BuildKit's parser does (frontend/dockerfile/parser Parse): an
// instruction starts on the first line that is not blank or a comment, runs over its continuation lines, and
// is followed by the bodies of the heredocs it opens, each read as raw lines up to its terminator line.
import { DockerfileError } from './errors.js';
import { heredocsOf } from './heredoc.js';
import { type LogicalLine, readLogicalLine, splitCommand } from './logical-line.js';
import type { PreparedDockerfile } from './source.js';

export const KEYWORDS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

export interface InstructionText extends LogicalLine {
  /** Upper-case keyword. */
  keyword: string;
  /** 1-based line the instruction starts on. */
  line: number;
}

export function* instructionTexts(prepared: PreparedDockerfile): Generator<InstructionText> {
  const { lines, raw, escape } = prepared;
  let l = 0;
  while (l < lines.length) {
    if (lines[l]!.trim() === '') {
      l++;
      continue;
    }
    const logical = readLogicalLine(lines, l, escape);
    const keyword = logical.keyword.toUpperCase();
    yield { ...logical, keyword, line: l + 1 };
    l = skipHeredocBodies(raw, logical, keyword, escape, l);
  }
}

/** The line after the instruction's heredoc bodies (after the instruction itself when it opens none). */
function skipHeredocBodies(raw: readonly string[], logical: LogicalLine, keyword: string, escape: string, start: number): number {
  const trigger = keyword === 'ONBUILD' ? splitCommand(logical.rest, escape, () => 0) : undefined;
  const heredocs = trigger ? heredocsOf(trigger.keyword, trigger.rest, logical.text) : heredocsOf(keyword, logical.rest, logical.text);
  let next = logical.endLine + 1;
  for (const heredoc of heredocs) {
    for (;;) {
      if (next >= raw.length) {
        throw new DockerfileError(`unterminated heredoc: no line ${JSON.stringify(heredoc.name.slice(0, 40))} ends it`, start + 1);
      }
      let candidate = raw[next++]!.replace(/[\r\n]+$/, '');
      if (heredoc.chomp) candidate = candidate.replace(/^\t+/, '');
      if (candidate === heredoc.name) break;
    }
  }
  return next;
}
