// `slipway quarantine list|approve|reject`: images that quarantined runs pushed by digest, and a scanner's
// verdict on them. Approval moves each tag to the digest and rebuilds what builds on it; rejection moves nothing.
import { ExitCode } from '../exit.js';
import { formatAge, renderTable } from '../format.js';
import { QUARANTINE_STATES, type QuarantineApproval, type QuarantinedImage, type QuarantineState } from '../../contract/quarantine.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';

export interface QuarantineApi {
  listQuarantine(query: { state?: QuarantineState; top: number }): Promise<QuarantinedImage[]>;
  approveQuarantined(digest: string, reason?: string): Promise<QuarantineApproval>;
  rejectQuarantined(digest: string, reason?: string): Promise<QuarantinedImage>;
}

const json = (io: CliIo, value: unknown) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface QuarantineListFlags {
  all?: boolean;
  state?: string;
  top?: number;
  json?: boolean;
}

/** Waiting images by default: what a scanner has to look at. */
export async function listQuarantine(api: QuarantineApi, flags: QuarantineListFlags, io: CliIo): Promise<ExitCode> {
  if (flags.state !== undefined && !(QUARANTINE_STATES as readonly string[]).includes(flags.state)) throw new UsageError(`--state must be one of ${QUARANTINE_STATES.join(', ')}`);
  const state = flags.all ? undefined : ((flags.state as QuarantineState | undefined) ?? 'quarantined');
  const images = await api.listQuarantine({ top: flags.top ?? 100, ...(state ? { state } : {}) });
  if (flags.json) json(io, images);
  else if (images.length === 0) io.stderr.write(state === 'quarantined' ? 'No image waits in quarantine\n' : 'No quarantined images\n');
  else {
    const rows = images.map((i) => [i.digest, i.state, i.images.join(', '), i.runId, formatAge(i.createdAt), i.by ? `${i.by}${i.reason ? `: ${i.reason}` : ''}` : '']);
    io.stdout.write(`${renderTable(['DIGEST', 'STATE', 'TAGS', 'RUN', 'PUSHED', 'VERDICT'], rows)}\n`);
  }
  return ExitCode.ok;
}

function checkDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw new UsageError(`${JSON.stringify(digest)} is not an image digest: give sha256:<64 hex>, as slipway quarantine list prints it`);
}

export async function approveQuarantined(api: QuarantineApi, digest: string, flags: { reason?: string; json?: boolean }, io: CliIo): Promise<ExitCode> {
  checkDigest(digest);
  const answer = await api.approveQuarantined(digest, flags.reason);
  if (flags.json) json(io, answer);
  else {
    for (const image of answer.image.images) io.stdout.write(`${image} now names ${digest}\n`);
    if (answer.waves.length) io.stdout.write(`Rebuild wave(s) ${answer.waves.join(', ')}; follow with: slipway graph rebuilds ${answer.waves[0]}\n`);
  }
  return ExitCode.ok;
}

export async function rejectQuarantined(api: QuarantineApi, digest: string, flags: { reason?: string; json?: boolean }, io: CliIo): Promise<ExitCode> {
  checkDigest(digest);
  const image = await api.rejectQuarantined(digest, flags.reason);
  if (flags.json) json(io, image);
  else io.stdout.write(`Rejected ${digest}: ${image.images.join(', ')} stay where they were; run ${image.runId}'s log says why\n`);
  return ExitCode.ok;
}
