// Followers of live logs on one API, as clients see them: fifty followers of one run cost the API a small,
// fixed number of Redis connections (not one each) and every one gets every line and the end; a follower
// that reads nothing while a run writes tens of megabytes is waited for without holding the others up or
// the API buffering the log, and gets all of it once it reads again.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { describe, it } from 'node:test';
import { apiFetch, authHeaders, postJson, submit, waitForLogLine, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { connectionsTo, resetPeakMemory, residentMemory } from '../support/process-resources.js';
import { sseBatches } from '../support/sse.js';
import { REGISTRY } from '../support/stack.js';
import { withStack } from '../support/with-stack.js';

const BUSYBOX = `${REGISTRY}/base/busybox:latest`;
const REDIS_PORT = Number(new URL(process.env.SLIPWAY_REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379);
const MIB = 1024 * 1024;
const FOLLOWERS = 50;
/** Redis connections the API may add for any number of followers: the hub's one, and room for a reconnect. */
const EXTRA_CONNECTIONS = 2;
const FLOOD_LINES = 12_288;
const FLOOD_LINE_BYTES = 8191;

async function submitTaskFile(url: string, cmd: string) {
  const taskFile = `version: v1.1.0\nsteps:\n  - id: talk\n    cmd: ${cmd}\n`;
  const res = await submit(url, await contextArchive('FROM scratch\n', { 'acb.yaml': taskFile }), { taskFile: 'acb.yaml', noPush: true });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.id as string;
}

interface Followed {
  /** The numbers of the `[talk] line-N` lines, in the order received. */
  numbers: number[];
  /** Lines of the flood received. */
  floodLines: number;
  end?: { status: string };
}

/** Reads one follower's events, counting what it is told; `onLine` hears each log line. */
async function readFollower(body: AsyncIterable<Uint8Array>, onLine: (line: string) => void = () => {}): Promise<Followed> {
  const seen: Followed = { numbers: [], floodLines: 0 };
  for await (const batch of sseBatches(body)) {
    for (const e of batch) {
      if (e.type === 'log') {
        const n = /^\[talk\] line-(\d+)$/.exec(e.data);
        if (n) seen.numbers.push(Number(n[1]));
        else if (e.data.startsWith('[talk] xxxx')) seen.floodLines++;
        onLine(e.data);
      } else if (e.type === 'end') {
        seen.end = JSON.parse(e.data) as { status: string };
        return seen;
      }
    }
  }
  return seen;
}

describe('log followers', () => {
  const s = withStack({ env: { SLIPWAY_LOG_FOLLOWERS_PER_CLIENT: String(FOLLOWERS + 10), SLIPWAY_LOG_MAX_BYTES: String(256 * MIB) } });

  it(`${FOLLOWERS} followers of one run share the API's Redis connections, and each gets every line and the end`, async (t) => {
    const { url } = s.stack;
    const id = await submitTaskFile(url, `${BUSYBOX} sh -c 'i=1; while [ $i -le 200 ]; do echo line-$i; i=$((i+1)); done; echo ready; sleep 600'`);
    await waitForLogLine(url, id, /\[talk\] ready/);
    const pid = s.stack.apiPid()!;
    const before = await connectionsTo(pid, REDIS_PORT);

    const stop = new AbortController();
    const ready: Promise<void>[] = [];
    const followers: Promise<Followed>[] = [];
    try {
      for (let i = 0; i < FOLLOWERS; i++) {
        const res = await apiFetch(`${url}/v1/runs/${id}/logs?follow=1`, { signal: stop.signal });
        assert.equal(res.status, 200, `follower ${i}: ${res.status}`);
        let heard!: () => void;
        ready.push(new Promise<void>((resolve) => (heard = resolve)));
        followers.push(readFollower(res.body!, (line) => line === '[talk] ready' && heard()));
      }
      // Every follower has read the backlog and now waits for news: the moment each would hold a connection.
      await Promise.all(ready);
      const during = await connectionsTo(pid, REDIS_PORT);
      t.diagnostic(`the API's Redis connections: ${before} before, ${during} with ${FOLLOWERS} followers`);
      assert.ok(during - before <= EXTRA_CONNECTIONS, `${FOLLOWERS} followers took ${during - before} more Redis connections (${before} before, ${during} while following)`);

      assert.equal((await postJson(`${url}/v1/runs/${id}/cancel`, {})).status, 202);
      const seen = await Promise.all(followers);
      const all = Array.from({ length: 200 }, (_, i) => i + 1);
      seen.forEach((f, i) => {
        assert.deepEqual(f.numbers, all, `follower ${i} got every line once, in order`);
        assert.equal(f.end?.status, 'canceled', `follower ${i} got the end`);
      });
    } finally {
      stop.abort();
    }
  });

  it('a follower that reads nothing while a run writes many megabytes holds up no one, costs the API no memory in proportion, and gets everything once it reads', async (t) => {
    const { url } = s.stack;
    const pid = s.stack.apiPid()!;
    // The flood waits for the followers: its first line only once both are there.
    const id = await submitTaskFile(
      url,
      `${BUSYBOX} sh -c 'echo waiting; while [ ! -f /workspace/go ]; do sleep 0.2; done; l=$(head -c ${FLOOD_LINE_BYTES} /dev/zero | tr "\\\\0" x); yes "$l" | head -n ${FLOOD_LINES}; echo flood-done'`,
    );
    await waitForLogLine(url, id, /\[talk\] waiting/);

    // The paused follower: its response is never read, so its socket fills and the API must wait on it.
    const paused = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${url}/v1/runs/${id}/logs?follow=1`, { headers: authHeaders(url) }, (res) => {
        res.pause();
        resolve(res);
      }).on('error', reject);
    });
    assert.equal(paused.statusCode, 200);
    const active = await apiFetch(`${url}/v1/runs/${id}/logs?follow=1`);
    assert.equal(active.status, 200);
    const activeSeen = readFollower(active.body!);

    await resetPeakMemory(pid);
    const start = await residentMemory(pid);
    await releaseFlood(s.stack.dataDir, id);

    // The active follower gets the whole flood and the end while the paused one still reads nothing.
    const got = await activeSeen;
    assert.equal(got.end?.status, 'succeeded');
    assert.equal(got.floodLines, FLOOD_LINES);
    const run = await waitForRun(url, id);
    assert.equal(run.status, 'succeeded');

    const pausedSeen = readFollower(paused);
    paused.resume();
    const late = await pausedSeen;
    assert.equal(late.floodLines, FLOOD_LINES, 'the paused follower gets every line once it reads');
    assert.equal(late.end?.status, 'succeeded');

    const { peak } = await residentMemory(pid);
    const logBytes = FLOOD_LINES * (FLOOD_LINE_BYTES + 1);
    t.diagnostic(`the API's resident memory: ${(start.now / MIB).toFixed(1)} MiB before, ${(peak / MIB).toFixed(1)} MiB at its peak, for ${(logBytes / MIB).toFixed(0)} MiB of log`);
    // Generous: garbage collection keeps some of what passed through, but a log held for the paused
    // follower would cost at least its own size.
    assert.ok(peak - start.now < logBytes / 2, `the API grew by ${((peak - start.now) / MIB).toFixed(1)} MiB at its peak while ${(logBytes / MIB).toFixed(0)} MiB of log went by`);
  });
});

/** Creates the file the flood step waits for, beside the task file in the run's workspace (its /workspace). */
async function releaseFlood(dataDir: string, runId: string): Promise<void> {
  const root = path.join(dataDir, 'workspaces');
  const workspace = (await fs.readdir(root)).find((name) => name.startsWith(`${runId}-`));
  assert.ok(workspace, `run ${runId} has a workspace`);
  const taskFile = (await fs.readdir(path.join(root, workspace), { recursive: true })).find((f) => path.basename(f) === 'acb.yaml');
  assert.ok(taskFile, `run ${runId}'s workspace holds its task file`);
  await fs.writeFile(path.join(root, workspace, path.dirname(taskFile), 'go'), '');
}
