// A build FROM a private base on the token-auth registry against the same build FROM the same base on the
// open registry, through `slipway` (API, worker, BuildKit session answering Auth per host), interleaved so
// both share the machine's noise. Each build has a context of its own (a fresh file after the FROM), so the
// base's manifest is resolved, and for the private one a token fetched or reused, on every build; the base's
// layers stay cached, as they do for a team building on the same base all day. The target: the private base
// costs at most 1.10× the open one.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { contextArchive } from '../test/support/archives.js';
import { postJson, runLog, submit, waitForRun } from '../test/support/api.js';
import { REGISTRY, startTestStack } from '../test/support/stack.js';
import { historyLine, recordRun } from './lib/history.js';
import { machineInfo } from './lib/machine.js';
import { benchOptions, ROOT } from './lib/options.js';
import { median } from './lib/stats.js';
import { benchHeader } from './lib/summary.js';

const TARGET_RATIO = 1.1;
const ITERATIONS = Number(process.env.BENCH_PRIVATE_BASE_ITERATIONS ?? 7);
const SOURCE_BASE = `${REGISTRY}/base/busybox:amd64`;

const opts = benchOptions();
const startedAt = new Date().toISOString();
const machine = await machineInfo();
const say = (msg: string) => process.stderr.write(`bench private-base: ${msg}\n`);

const dataDir = process.env.SLIPWAY_DATA_DIR ?? path.join(ROOT, '.data');
const creds = JSON.parse(await fs.readFile(path.join(dataDir, 'auth-registries', 'credentials.json'), 'utf8')) as { password: string; token: { registry: string; username: string } };
const privateBase = `${creds.token.registry}/bench/base:1`;
const openBase = `${REGISTRY}/bench/open-base:1`;

// The auth registries are on the Docker bridge's address, a private one: allowed for this stack.
const stack = await startTestStack({ env: { SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: '1' } });
try {
  const login = await postJson(`${stack.url}/v1/registries`, { host: creds.token.registry, username: creds.token.username, password: creds.password });
  if (login.status !== 201) throw new Error(`registry login failed: ${login.status} ${JSON.stringify(login.body)}`);

  // The same base in both registries, pushed by Slipway itself (the private one with the login above).
  for (const image of [privateBase, openBase]) {
    const res = await submit(stack.url, await contextArchive(`FROM ${SOURCE_BASE}\nRUN echo base > /base.txt\n`), { images: [image] });
    const run = await waitForRun(stack.url, res.body.id);
    if (run.status !== 'succeeded') throw new Error(`pushing ${image} failed: ${run.error}\n${await runLog(stack.url, run.id)}`);
  }

  const timed = async (base: string): Promise<number> => {
    const archive = await contextArchive(`FROM ${base}\nCOPY nonce /nonce\nRUN cat /nonce\n`, { nonce: randomUUID() });
    const t0 = performance.now();
    const res = await submit(stack.url, archive, { noPush: true });
    const run = await waitForRun(stack.url, res.body.id);
    if (run.status !== 'succeeded') throw new Error(`a build FROM ${base} failed: ${run.error}\n${await runLog(stack.url, run.id)}`);
    return performance.now() - t0;
  };
  // One of each first, unmeasured: the worker's child, the session and the base's layers are warm after it.
  await timed(privateBase);
  await timed(openBase);
  const samples: Record<'private' | 'open', number[]> = { private: [], open: [] };
  for (let i = 0; i < ITERATIONS; i++) {
    // Alternating which goes first, so neither always follows the other.
    const order = i % 2 === 0 ? (['private', 'open'] as const) : (['open', 'private'] as const);
    for (const side of order) samples[side].push(await timed(side === 'private' ? privateBase : openBase));
    say(`${i + 1}/${ITERATIONS}: private ${Math.round(samples.private.at(-1)!)} ms, open ${Math.round(samples.open.at(-1)!)} ms`);
  }
  const medians = { private: Math.round(median(samples.private)), open: Math.round(median(samples.open)) };
  const ratio = Math.round((medians.private / medians.open) * 1000) / 1000;
  const met = ratio <= TARGET_RATIO;
  const summary = [
    ...benchHeader('a build FROM a private base', opts.runId, machine),
    `## FROM a base on the token-auth registry vs the same base on the open one (median of ${ITERATIONS} interleaved builds each, ms)`,
    '',
    `Through \`slipway\` (API, worker, BuildKit session answering Auth per host), noPush, a fresh file after the FROM in every build; the base's layers cached. Private: \`${privateBase}\` (token auth, TLS); open: \`${openBase}\`.`,
    '',
    '| | median | min | max |',
    '|---|---:|---:|---:|',
    `| FROM the private base | ${medians.private} | ${Math.round(Math.min(...samples.private))} | ${Math.round(Math.max(...samples.private))} |`,
    `| FROM the open base | ${medians.open} | ${Math.round(Math.min(...samples.open))} | ${Math.round(Math.max(...samples.open))} |`,
    '',
    `Private ÷ open: ${ratio}×. Target ≤ ${TARGET_RATIO}×: ${met ? 'met' : 'NOT met'}.`,
    '',
  ].join('\n');
  await recordRun(historyLine('private-base', { id: opts.runId, startedAt }, machine, { iterations: ITERATIONS, mediansMs: medians, ratio, targetMet: met }), summary);
  say(`private ${medians.private} ms, open ${medians.open} ms: ${ratio}× (target ≤ ${TARGET_RATIO}×)`);
} finally {
  await stack.close();
}
