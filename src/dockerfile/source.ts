// Turns raw Dockerfile text into the lines Docker's parser sees (moby/buildkit frontend/dockerfile/parser):
// size limits, BOM, line endings, parser directives, and comment lines blanked out. Line numbers are kept.
import { TooLargeError } from '../errors.js';
import { DockerfileError, quote } from './errors.js';

/** buildx's limit for a Dockerfile (docker/buildx#2716). */
export const MAX_DOCKERFILE_BYTES = 2 * 1024 * 1024;
/**
 * Instruction text (comments and blank lines aside) Slipway will parse. Docker has no such limit, but
 * parsing runs on the API's event loop, and no real Dockerfile comes near it.
 */
export const MAX_INSTRUCTION_CHARS = 256 * 1024;
/** Docker reads lines with bufio.Scanner, whose default limit gives "dockerfile line greater than max allowed size of 65535". */
export const MAX_LINE_BYTES = 65535;

export type EscapeToken = '\\' | '`';

export interface PreparedDockerfile {
  /** The lines as BuildKit reads instructions: directives and comments blank, trailing CRs gone. */
  lines: string[];
  /** The lines as written, for heredoc bodies, which BuildKit reads raw. */
  raw: string[];
  escape: EscapeToken;
  /** Value of a `# syntax=` directive, if any. */
  syntax?: string;
}

const DIRECTIVES = new Set(['syntax', 'escape', 'check']);

export function prepareDockerfile(input: string): PreparedDockerfile {
  if (input.length > MAX_DOCKERFILE_BYTES || Buffer.byteLength(input, 'utf8') > MAX_DOCKERFILE_BYTES) {
    throw new TooLargeError(`Dockerfile is larger than ${MAX_DOCKERFILE_BYTES} bytes`, 'dockerfile_too_large');
  }
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const raw = text.split('\n');
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();

  const lines: string[] = new Array<string>(raw.length);
  let escape: EscapeToken = '\\';
  let syntax: string | undefined;
  const seen = new Set<string>();
  let inDirectives = true;
  let instructionChars = 0;
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!;
    if (line.length * 3 > MAX_LINE_BYTES && Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES) {
      throw new DockerfileError(`line is longer than ${MAX_LINE_BYTES} bytes, Docker's limit`, i + 1);
    }
    if (inDirectives) {
      const directive = parseDirective(line);
      if (directive) {
        if (seen.has(directive.name)) throw new DockerfileError(`only one ${directive.name} parser directive can be used`, i + 1);
        seen.add(directive.name);
        if (directive.name === 'escape') {
          if (directive.value !== '\\' && directive.value !== '`') {
            throw new DockerfileError(`invalid escape token ${quote(directive.value)} (use \` or \\)`, i + 1);
          }
          escape = directive.value;
        } else if (directive.name === 'syntax') {
          syntax = directive.value;
        }
        lines[i] = '';
        continue;
      }
      inDirectives = false;
    }
    const normalised = normaliseLine(line);
    lines[i] = normalised;
    instructionChars += normalised.length;
    if (instructionChars > MAX_INSTRUCTION_CHARS) {
      throw new TooLargeError(`Dockerfile has more than ${MAX_INSTRUCTION_CHARS / 1024} KiB of instructions (comments aside)`, 'dockerfile_too_large');
    }
  }
  return { lines, raw, escape, ...(syntax !== undefined ? { syntax } : {}) };
}

/** A line as BuildKit's parser treats it: trailing CRs gone, comment lines empty, odd whitespace made plain. */
function normaliseLine(line: string): string {
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === 13) end--;
  let start = 0;
  while (start < end && isUnicodeSpace(line.charCodeAt(start))) start++;
  if (start < end && line.charCodeAt(start) === 35 /* # */) return '';
  // Indentation stays (tabs matter to `<<-` heredocs); only other Unicode spaces become plain ones.
  let out = start === 0 ? line.slice(0, end) : line.slice(0, start).replace(/[^ \t]/g, ' ') + line.slice(start, end);
  // Docker treats a lone CR, \v and \f inside a line as spaces.
  if (/[\r\v\f]/.test(out)) out = out.replace(/[\r\v\f]/g, ' ');
  return out;
}

// Go's unicode.IsSpace, which BuildKit uses to find comments and strip indentation.
function isUnicodeSpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) || c === 32 || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

/** `# name=value` as BuildKit's DirectiveParser reads it; undefined ends the directive block. */
function parseDirective(line: string): { name: string; value: string } | undefined {
  let i = 0;
  while (i < line.length && isUnicodeSpace(line.charCodeAt(i))) i++;
  if (line[i] !== '#') return undefined;
  i++;
  while (i < line.length && isUnicodeSpace(line.charCodeAt(i))) i++;
  const key = /^[a-zA-Z][a-zA-Z0-9]*/.exec(line.slice(i, i + 64));
  if (!key) return undefined;
  i += key[0].length;
  while (i < line.length && isGoRegexSpace(line[i]!)) i++;
  if (line[i] !== '=') return undefined;
  const value = trimGoRegexSpace(line.slice(i + 1));
  const name = key[0].toLowerCase();
  if (value === '' || !DIRECTIVES.has(name)) return undefined;
  return { name, value };
}

// RE2's \s: [\t\n\f\r ].
function isGoRegexSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';
}

function trimGoRegexSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isGoRegexSpace(s[start]!)) start++;
  while (end > start && isGoRegexSpace(s[end - 1]!)) end--;
  return s.slice(start, end);
}
