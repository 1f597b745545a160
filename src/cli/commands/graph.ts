// `slipway graph show|dependents|notify|rebuilds`: the base-image dependency graph — what builds on what,
// the impact preview of a base change (which tasks would rebuild, in which order), a change reported by
// hand, and the rebuild waves with the state of each task in them.
import { ExitCode } from '../exit.js';
import { formatAge, renderTable } from '../format.js';
import type { Graph, NotifyAnswer, Plan, Wave, WaveDetail } from '../../contract/graph.js';
import type { CliIo } from '../io.js';

export interface GraphApi {
  graph(): Promise<Graph>;
  dependents(image: string, transitive: boolean): Promise<Plan>;
  notify(image: string): Promise<NotifyAnswer>;
  rebuilds(top: number): Promise<Wave[]>;
  rebuild(id: string): Promise<WaveDetail>;
}

const json = (io: CliIo, value: unknown) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const short = (digest: string | undefined) => (digest ? digest.replace(/^sha256:/, '').slice(0, 12) : '-');

export async function showGraph(api: GraphApi, opts: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const graph = await api.graph();
  if (opts.json) json(io, graph);
  else if (graph.images.length === 0) io.stderr.write('The graph is empty: a task joins it when a run of it succeeds\n');
  else io.stdout.write(`${renderTable(['BASE IMAGE', 'DEPENDENT TASKS'], graph.images.map((i) => [i.image, i.dependents.map((d) => (d.kind === 'runtime' ? d.task : `${d.task} (buildtime)`)).join(', ')]))}\n`);
  return ExitCode.ok;
}

export async function showDependents(api: GraphApi, image: string, opts: { transitive?: boolean; json?: boolean }, io: CliIo): Promise<ExitCode> {
  const plan = await api.dependents(image, opts.transitive === true);
  if (opts.json) {
    json(io, plan);
    return ExitCode.ok;
  }
  if (plan.entries.length === 0) io.stderr.write(`No task would rebuild when ${plan.image} changes\n`);
  else {
    const rows = plan.entries.map((e) => [String(e.level), e.task, e.parents.join(', ') || '-', e.direct ? 'builds on it' : 'through its parents']);
    io.stdout.write(`${renderTable(['ORDER', 'TASK', 'WAITS FOR', 'WHY'], rows)}\n`);
  }
  printNotes(plan, io);
  return ExitCode.ok;
}

export async function notifyChange(api: GraphApi, image: string, opts: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const answer = await api.notify(image);
  if (opts.json) {
    json(io, answer);
    return ExitCode.ok;
  }
  const platforms = Object.entries(answer.platforms).map(([p, d]) => `${p} ${short(d)}`).join(', ');
  io.stderr.write(`${answer.image} is now ${platforms || 'no platform manifest'}\n`);
  if (answer.ignored) io.stdout.write(`Nothing planned: ${answer.ignored}\n`);
  else if (answer.wave) io.stdout.write(`Rebuild wave ${answer.wave.id}: ${answer.wave.total} task(s) to rebuild; follow it with: slipway graph rebuilds ${answer.wave.id}\n`);
  else if (answer.joined.length === 0) io.stdout.write('Nothing to rebuild\n');
  if (answer.joined.length) io.stdout.write(`Already waiting to rebuild, and will pick up this change: ${answer.joined.join(', ')}\n`);
  printNotes({ skipped: answer.skipped, cycles: answer.cycles }, io);
  return ExitCode.ok;
}

export async function showRebuilds(api: GraphApi, id: string | undefined, opts: { top?: number; json?: boolean }, io: CliIo): Promise<ExitCode> {
  if (id === undefined) {
    const waves = await api.rebuilds(opts.top ?? 20);
    if (opts.json) json(io, waves);
    else if (waves.length === 0) io.stderr.write('No rebuild waves\n');
    else io.stdout.write(`${renderTable(['WAVE', 'BASE IMAGE', 'SOURCE', 'TASKS', 'CREATED'], waves.map((w) => [w.id, w.image, w.source, String(w.total), formatAge(w.createdAt)]))}\n`);
    return ExitCode.ok;
  }
  const wave = await api.rebuild(id);
  if (opts.json) {
    json(io, wave);
    return ExitCode.ok;
  }
  io.stderr.write(`Wave ${wave.id}: ${wave.image} changed (${wave.source}), ${formatAge(wave.createdAt)}\n`);
  const rows = wave.entries.map((e) => [String(e.level), e.task, e.state, e.runId ?? '-', e.reason ?? (e.parents.length ? `after ${e.parents.join(', ')}` : '')]);
  io.stdout.write(`${renderTable(['ORDER', 'TASK', 'STATE', 'RUN', 'NOTE'], rows)}\n`);
  printNotes(wave, io);
  return ExitCode.ok;
}

function printNotes(notes: { skipped: { task: string; reason: string }[]; cycles: string[][] }, io: CliIo): void {
  for (const s of notes.skipped) io.stderr.write(`not rebuilt: ${s.task}: ${s.reason}\n`);
  for (const c of notes.cycles) io.stderr.write(`cycle: ${c.join(' → ')} build on each other's images; each rebuilds once, the cycle is not followed\n`);
}
