// Walks the instructions dockerfile-ast finds and reads each one's text the way BuildKit does, checking that
// the two agree on where every instruction starts and ends so that a disagreement fails loudly instead of
// silently hiding a FROM.
import { Add, Copy, type Dockerfile, type Instruction, Onbuild, Run } from 'dockerfile-ast';
import { DockerfileError } from './errors.js';
import { type LogicalLine, readLogicalLine } from './logical-line.js';
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

export function* instructionTexts(dockerfile: Dockerfile, prepared: PreparedDockerfile): Generator<InstructionText> {
  const { lines, escape } = prepared;
  const instructions = dockerfile.getInstructions();
  // Before the first instruction there may only be blank lines (and the escape directive on line 1).
  const first = instructions.length > 0 ? instructions[0]!.getRange().start.line : lines.length;
  for (let l = escape === '`' ? 1 : 0; l < first; l++) {
    if (lines[l]!.trim() !== '') throw new DockerfileError('cannot tell where this instruction starts; check its line continuations', l + 1);
  }
  for (let k = 0; k < instructions.length; k++) {
    const instruction = instructions[k]!;
    const start = instruction.getRange().start.line;
    const nextStart = k + 1 < instructions.length ? instructions[k + 1]!.getRange().start.line : lines.length;
    const logical = readLogicalLine(lines, start, escape);
    const keyword = logical.keyword.toUpperCase();
    const disagree = () => new DockerfileError('cannot tell where this instruction ends; check its line continuations and heredocs', start + 1);
    if (keyword !== instruction.getKeyword().toUpperCase() || logical.endLine >= nextStart) throw disagree();
    const heredocs = heredocsOf(instruction instanceof Onbuild ? instruction.getTriggerInstruction() : instruction, logical);
    if (heredocs === 0) {
      for (let l = logical.endLine + 1; l < nextStart; l++) if (lines[l]!.trim() !== '') throw disagree();
    }
    yield { ...logical, keyword, line: start + 1 };
  }
}

/** How many heredocs dockerfile-ast found; throws for one without its terminator line, as Docker does. */
function heredocsOf(instruction: Instruction | null, logical: LogicalLine): number {
  if (!(instruction instanceof Run || instruction instanceof Copy || instruction instanceof Add)) return 0;
  if (!logical.rest.includes('<<') && !logical.flags.some((f) => f.text.includes('<<'))) return 0;
  // ADD has getHeredocs too, but dockerfile-ast only declares it public on RUN and COPY.
  const heredocs = (instruction as Run).getHeredocs();
  const open = heredocs.find((h) => h.getDelimiterRange() === null);
  if (open) {
    throw new DockerfileError(`unterminated heredoc: no line ${JSON.stringify(open.getName().slice(0, 40))} ends it`, instruction.getRange().start.line + 1);
  }
  return heredocs.length;
}
