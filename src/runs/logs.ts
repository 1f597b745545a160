// A run's log: a Redis Stream of lines, capped per run, closed by an `end` entry carrying the final status.
// Stream entry ids double as SSE event ids, so a follower resumes exactly where it stopped.
import type { Redis } from 'ioredis';
import { SlipwayKeys } from '../store/keys.js';

export type LogEntry = { id: string; line: string } | { id: string; end: string };

export class RunLog {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly maxLines: number,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  key(runId: string): string {
    return this.keys.runLog(runId);
  }

  /** Appends lines in one round trip; the oldest lines are trimmed past the cap. */
  async append(runId: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const line of lines) pipeline.xadd(this.key(runId), 'MAXLEN', '~', this.maxLines, '*', 'l', line);
    await pipeline.exec();
  }

  async end(runId: string, status: string): Promise<void> {
    await this.redis.xadd(this.key(runId), '*', 'end', status);
  }

  /** Entries after `afterId` (exclusive), up to `count`. */
  async read(runId: string, afterId = '-', count = 1000): Promise<LogEntry[]> {
    const start = afterId === '-' ? '-' : `(${afterId}`;
    const rows = await this.redis.xrange(this.key(runId), start, '+', 'COUNT', count);
    return rows.map(([id, fields]) => decode(id, fields));
  }

  /** Waits up to blockMs for entries after `afterId` on a connection reserved for blocking reads. */
  async waitFor(blocking: Redis, runId: string, afterId: string, blockMs: number): Promise<LogEntry[]> {
    const res = await blocking.xread('COUNT', 1000, 'BLOCK', blockMs, 'STREAMS', this.key(runId), afterId === '-' ? '0' : afterId);
    if (!res) return [];
    return res.flatMap(([, rows]) => rows.map(([id, fields]) => decode(id, fields)));
  }

  async delete(runId: string): Promise<void> {
    await this.redis.del(this.key(runId));
  }
}

function decode(id: string, fields: string[]): LogEntry {
  return fields[0] === 'end' ? { id, end: fields[1] ?? '' } : { id, line: fields[1] ?? '' };
}
