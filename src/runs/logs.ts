// A run's log: a Redis Stream of lines, capped per run in lines and in bytes, closed by an `end` entry
// carrying the final status.
// Stream entry ids double as SSE event ids, so a follower resumes exactly where it stopped. Followers wait
// for new entries through the API's LogHub (log-hub.ts), not a connection each.
import type { Redis } from 'ioredis';
import { SlipwayKeys } from '../store/keys.js';

export type LogEntry = { id: string; line: string } | { id: string; end: string };

export class RunLog {
  private readonly keys: SlipwayKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly maxLines: number,
    /** Bytes of lines a run may write in all; absent for a reader, which appends nothing. */
    private readonly maxBytes = Number.MAX_SAFE_INTEGER,
  ) {
    this.keys = new SlipwayKeys(prefix);
  }

  key(runId: string): string {
    return this.keys.runLog(runId);
  }

  /**
   * Appends lines in one round trip; the oldest lines are trimmed past the line cap. Past the byte cap
   * nothing more is kept but one line saying so: trimming by lines alone still let one run write
   * gigabytes (lines of up to 64 KiB) into Redis's memory.
   */
  async append(runId: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const notice = `slipway: the log reached ${this.maxBytes} bytes, the most a run keeps (SLIPWAY_LOG_MAX_BYTES); later output is left out`;
    await this.redis.eval(APPEND_CAPPED, 2, this.key(runId), this.keys.runLogBytes(runId), this.maxLines, this.maxBytes, notice, ...lines);
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

  async delete(runId: string): Promise<void> {
    await this.redis.del(this.key(runId), this.keys.runLogBytes(runId));
  }
}

// KEYS: the stream, the run's byte count. ARGV: max lines, max bytes, the notice, then the lines. The count
// goes one past the cap once the notice is written, so it is written once.
const APPEND_CAPPED = `
local total = tonumber(redis.call('GET', KEYS[2]) or '0')
local cap = tonumber(ARGV[2])
if total > cap then return 0 end
for i = 4, #ARGV do
  local n = string.len(ARGV[i])
  if total + n > cap then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'l', ARGV[3])
    total = cap + 1
    break
  end
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'l', ARGV[i])
  total = total + n
end
redis.call('SET', KEYS[2], total)
return 1
`;

function decode(id: string, fields: string[]): LogEntry {
  return fields[0] === 'end' ? { id, end: fields[1] ?? '' } : { id, line: fields[1] ?? '' };
}
