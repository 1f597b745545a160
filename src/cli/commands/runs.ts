// `slipway runs list|show|logs|cancel`: reading and canceling runs.
import type { SlipwayApi } from '../api-client.js';
import { isTerminal, type RunStatus } from '../../runs/status.js';
import { ExitCode } from '../exit.js';
import { renderRun, renderRunTable } from '../format.js';
import type { CliIo } from '../io.js';
import { followRunLog } from '../run-follower.js';

export async function listRuns(api: SlipwayApi, query: { status?: RunStatus; top?: number; json?: boolean }, io: CliIo): Promise<ExitCode> {
  const runs = await api.listRuns({ status: query.status, top: query.top });
  if (query.json) io.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
  else if (runs.length === 0) io.stderr.write('No runs\n');
  else io.stdout.write(`${renderRunTable(runs)}\n`);
  return ExitCode.ok;
}

export async function showRun(api: SlipwayApi, id: string, opts: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const run = await api.getRun(id);
  io.stdout.write(opts.json ? `${JSON.stringify(run, null, 2)}\n` : `${renderRun(run)}\n`);
  return ExitCode.ok;
}

/** Prints the log so far, or with `follow` the live log until the run ends (exit 0 whatever its outcome). */
export async function printLog(api: SlipwayApi, id: string, opts: { follow?: boolean }, io: CliIo): Promise<ExitCode> {
  if (opts.follow) {
    await followRunLog(api, id, (line) => io.stdout.write(`${line}\n`));
    return ExitCode.ok;
  }
  const body = await api.readLog(id);
  for await (const chunk of body) io.stdout.write(chunk);
  return ExitCode.ok;
}

export async function cancelRun(api: SlipwayApi, id: string, io: CliIo): Promise<ExitCode> {
  const run = await api.cancelRun(id);
  io.stdout.write(isTerminal(run.status) ? `Run ${run.id} ${run.status}\n` : `Canceling run ${run.id} (it is ${run.status})\n`);
  return ExitCode.ok;
}
