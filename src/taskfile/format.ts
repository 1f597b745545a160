// The step graph as `slipway task validate` prints it: steps grouped by level (a level's steps can run side
// by side), each with what it does and what it waits for. Secret values are masked by the caller's masker.
import type { ResolvedStep, ResolvedTask } from './model.js';

const MAX_DETAIL = 100;

export function describeStep(s: ResolvedStep): string {
  if (s.build) return `build ${[...s.build.tags.map((t) => `-t ${t}`), s.build.context].join(' ')}`;
  if (s.push) return `push ${s.push.join(' ')}`;
  const c = s.cmd!;
  return `cmd ${[c.image, ...c.args.map((a) => (/[\s"'$]/.test(a) || a === '' ? JSON.stringify(a) : a))].join(' ')}`;
}

export function formatGraph(file: string, task: ResolvedTask, mask: (t: string) => string): string {
  const lines = [`${file}: ${task.steps.length} step${task.steps.length === 1 ? '' : 's'}, version ${task.version}, step timeout ${task.stepTimeoutSeconds} s`];
  const levels = new Map<number, ResolvedStep[]>();
  for (const s of task.steps) levels.set(s.level, [...(levels.get(s.level) ?? []), s]);
  const width = Math.max(...task.steps.map((s) => s.id.length));
  for (const level of [...levels.keys()].sort((a, b) => a - b)) {
    const group = levels.get(level)!;
    lines.push(`level ${level + 1}${group.length > 1 ? ` (${group.length} steps run together)` : ''}:`);
    for (const s of group) {
      let detail = mask(describeStep(s));
      if (detail.length > MAX_DETAIL) detail = detail.slice(0, MAX_DETAIL - 1) + '…';
      const notes = [s.after.length ? `waits for ${s.after.join(', ')}` : 'starts at once', ...flags(s)];
      lines.push(`  ${s.id.padEnd(width)}  ${detail}  [line ${s.line}; ${notes.join('; ')}]`);
    }
  }
  return lines.join('\n') + '\n';
}

function flags(s: ResolvedStep): string[] {
  const out: string[] = [];
  if (s.detach) out.push('detached');
  if (s.ignoreErrors) out.push('errors ignored');
  if (s.retries) out.push(`${s.retries} retr${s.retries === 1 ? 'y' : 'ies'}`);
  if (s.repeat) out.push(`repeated ${s.repeat}×`);
  if (s.startDelaySeconds) out.push(`starts after ${s.startDelaySeconds} s`);
  const { memoryBytes, cpus, pids } = s.resources;
  if (memoryBytes !== undefined) out.push(`memory ${Math.round((memoryBytes / 1024 / 1024) * 100) / 100} MiB`);
  if (cpus !== undefined) out.push(`${cpus} CPU${cpus === 1 ? '' : 's'}`);
  if (pids !== undefined) out.push(pids === -1 ? 'no process limit' : `${pids} processes`);
  if (s.capAdd.length) out.push(`capabilities ${s.capAdd.join(', ')}`);
  return out;
}
