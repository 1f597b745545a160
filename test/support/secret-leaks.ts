// Checks that a registry password was written nowhere a reader of logs, records or Redis could find it: in
// clear, inside a Basic header, or inside an X-Registry-Auth value.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { createRedis } from '../../src/redis.js';

const exec = promisify(execFile);

/** A password and the forms it could leak in: itself, and inside a Basic header or an X-Registry-Auth value. */
export function passwordForms(password: string, username: string): string[] {
  return [password, Buffer.from(`${username}:${password}`).toString('base64'), Buffer.from(password).toString('base64')];
}

export function assertAbsent(where: string, text: string, secrets: string[]): void {
  for (const s of secrets) assert.ok(!text.includes(s), `${where} holds a password (${JSON.stringify(s.slice(0, 6))}…)`);
}

/**
 * Which of `values` (their first characters) the AOF files of the Redis at `url` hold; none may. Empty when
 * the files cannot be read from here (Redis on another host).
 */
export async function aofHolds(url: string, values: string[]): Promise<string[]> {
  const redis = createRedis(url, 'test-aof-dir');
  let dir: string;
  try {
    dir = ((await redis.config('GET', 'dir')) as string[])[1]!;
  } finally {
    redis.disconnect();
  }
  if (!(await fs.access(dir, fs.constants.R_OK).then(() => true, () => false))) return [];
  const found: string[] = [];
  for (const value of values) {
    // grep exits 0 on a match, 1 on none, 2 when it could not read the files (then the test cannot say: it fails).
    const hit = await exec('grep', ['-rlF', '--', value, dir]).then(
      () => true,
      (err: { code?: number; stderr?: string }) => {
        if (err.code === 1) return false;
        throw new Error(`grep of ${dir} failed: ${err.stderr}`);
      },
    );
    if (hit) found.push(value.slice(0, 6));
  }
  return found;
}
