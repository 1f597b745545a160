// A container's stdout and stderr, passed to the run log line by line: followed while it runs, then read
// again once it exited, since a follower can end before the daemon has written a container's last output.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { LineSplitter } from './line-splitter.js';

/** Streams the container's output to the log from its start; resolves with the bytes passed on once the output ends. */
export async function followLog(container: Docker.Container, log: (line: string) => void): Promise<number> {
  const stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
  const out = new PassThrough();
  const lines = new LineSplitter(log);
  let received = 0;
  out.on('data', (c: Buffer) => {
    received += c.length;
    lines.write(c);
  });
  container.modem.demuxStream(stream, out, out);
  return new Promise((resolve) => {
    // Flushed once `out` has handed over its last chunk, which may come a tick after the source ends:
    // a last line without a newline (a file printed by cat) would otherwise be lost.
    out.once('end', () => {
      lines.flush();
      resolve(received);
    });
    const end = () => out.end();
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  });
}

/** Reads the exited container's whole log and passes on what the follower missed after its first `received` bytes. */
export async function missedOutput(container: Docker.Container, received: number, log: (line: string) => void): Promise<void> {
  const raw = (await container.logs({ follow: false, stdout: true, stderr: true }).catch(() => undefined)) as unknown as Buffer | undefined;
  if (!raw || !Buffer.isBuffer(raw)) return;
  const payload = demuxed(raw);
  if (payload.length <= received) return;
  const lines = new LineSplitter(log);
  lines.write(payload.subarray(received));
  lines.flush();
}

/** The payloads of Docker's multiplexed log frames (8-byte header: stream, 3 zero bytes, big-endian length). */
function demuxed(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i + 8 <= raw.length; ) {
    const length = raw.readUInt32BE(i + 4);
    parts.push(raw.subarray(i + 8, i + 8 + length));
    i += 8 + length;
  }
  return Buffer.concat(parts);
}
