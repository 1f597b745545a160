// What the Docker Engine costs per build before any step runs, with no Slipway: the same two small Dockerfiles
// (FROM a cached base alone; FROM it and one `RUN true`) built raw through the Engine API's BuildKit, first
// with the QEMU binfmt handlers as the stack registers them, then with them switched off. Docker 20.10's
// BuildKit asks whether each emulator runs, by running a small binary under it, every time a Dockerfile
// build asks for its workers' platforms, several times per build; newer BuildKit caches the answer. Every
// build of Slipway's, on this Engine, pays the difference, and so does every build of its tests: the
// figure behind both the bench's raw side and `npm test`'s time. Switching the handlers off needs root and
// changes the whole machine for a few seconds, so this bench is not in the default set and restores them
// however it ends. Rewrites bench/results/engine.md and appends its figures to bench/results/history.jsonl.
// BENCH_ENGINE_ITERATIONS (7) builds of each Dockerfile per side.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { REGISTRY } from '../test/support/stack.js';
import { engineBuild, removeLocalImages } from './lib/docker.js';
import { historyLine, recordRun } from './lib/history.js';
import { machineInfo } from './lib/machine.js';
import { benchOptions } from './lib/options.js';
import { median } from './lib/stats.js';
import { benchHeader } from './lib/summary.js';

const ITERATIONS = Number(process.env.BENCH_ENGINE_ITERATIONS ?? 7);
const BINFMT = '/proc/sys/fs/binfmt_misc';
const BASE = `${REGISTRY}/base/busybox:amd64`;
// Every context holds a fresh file: the RUN after its COPY is never a cache hit; FROM alone is the same build each time.
const DOCKERFILES = { from: `FROM ${BASE}\n`, run: `FROM ${BASE}\nCOPY nonce /nonce\nRUN true\n` } as const;
type Shape = keyof typeof DOCKERFILES;

const opts = benchOptions();
const startedAt = new Date().toISOString();
const machine = await machineInfo();
const socket = loadConfig().dockerSocket;
const say = (msg: string) => process.stderr.write(`bench engine: ${msg}\n`);

/** The emulator handlers enabled now (qemu-*), by name. */
const enabledEmulators = () =>
  fs.existsSync(BINFMT) ? fs.readdirSync(BINFMT).filter((n) => n.startsWith('qemu-') && fs.readFileSync(path.join(BINFMT, n), 'utf8').startsWith('enabled')) : [];
const setEmulators = (names: readonly string[], on: boolean) => {
  for (const name of names) fs.writeFileSync(path.join(BINFMT, name), on ? '1' : '0');
};

const emulators = enabledEmulators();
const canToggle = emulators.length > 0 && process.getuid?.() === 0;
const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-engine-'));
const images: string[] = [];
const samples: Record<'on' | 'off', Record<Shape, number[]>> = { on: { from: [], run: [] }, off: { from: [], run: [] } };

/** A context of `shape` with a file no other context has. */
async function context(name: string, shape: Shape): Promise<string> {
  const dir = path.join(work, name);
  await fsp.mkdir(dir);
  await fsp.writeFile(path.join(dir, 'Dockerfile'), DOCKERFILES[shape]);
  await fsp.writeFile(path.join(dir, 'nonce'), `${name}-${Date.now()}`);
  return dir;
}

/** Builds each Dockerfile ITERATIONS times, interleaved. */
async function measure(side: 'on' | 'off'): Promise<void> {
  for (let i = 0; i < ITERATIONS; i++) {
    for (const shape of Object.keys(DOCKERFILES) as Shape[]) {
      const image = `slipway-bench/engine:${side}-${shape}-${i}`;
      images.push(image);
      samples[side][shape].push((await engineBuild(socket, await context(`${side}-${shape}-${i}`, shape), image, 'linux/amd64')).ms);
    }
  }
}

// Restored whatever happens, a signal included: the handlers are the machine's, not this bench's.
const restore = () => canToggle && setEmulators(emulators, true);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => (restore(), process.exit(130)));
try {
  // Unmeasured: the base's layers and the Engine's BuildKit are warm after it.
  images.push('slipway-bench/engine:warm');
  await engineBuild(socket, await context('warm', 'run'), 'slipway-bench/engine:warm', 'linux/amd64');
  await measure('on');
  say(`emulators on (${emulators.join(', ') || 'none registered'}): FROM ${Math.round(median(samples.on.from))} ms, FROM+RUN ${Math.round(median(samples.on.run))} ms`);
  if (canToggle) {
    setEmulators(emulators, false);
    try {
      await measure('off');
    } finally {
      restore();
    }
    say(`emulators off: FROM ${Math.round(median(samples.off.from))} ms, FROM+RUN ${Math.round(median(samples.off.run))} ms`);
  } else say('not root, or no emulator registered: the side without emulators is not measured');
} finally {
  restore();
  await removeLocalImages(images);
  await fsp.rm(work, { recursive: true, force: true });
}

const medians = Object.fromEntries(
  (['on', 'off'] as const).filter((side) => samples[side].from.length).map((side) => [side, { from: Math.round(median(samples[side].from)), run: Math.round(median(samples[side].run)) }]),
) as Partial<Record<'on' | 'off', Record<Shape, number>>>;
const row = (label: string, side: 'on' | 'off') =>
  medians[side] ? `| ${label} | ${medians[side]!.from} | ${medians[side]!.run} |` : `| ${label} | – | – |`;
const perBuild = medians.on && medians.off ? { from: medians.on.from - medians.off.from, run: medians.on.run - medians.off.run } : undefined;
const summary = [
  ...benchHeader('what the Docker Engine costs per build', opts.runId, machine),
  `## A raw BuildKit build through the Engine API (curl), median of ${ITERATIONS} each, ms`,
  '',
  `\`FROM ${BASE}\` alone (the same build each time), and with a fresh file and \`RUN true\` after it (never cached); linux/amd64 on an amd64 host: no step runs under an emulator.`,
  '',
  '| QEMU binfmt handlers | FROM | FROM + COPY + RUN true |',
  '|---|---:|---:|',
  row(`as registered (${emulators.join(', ') || 'none'})`, 'on'),
  row('switched off for the measurement', 'off'),
  '',
  perBuild
    ? `Each build pays ${perBuild.from} ms (FROM alone) and ${perBuild.run} ms (with a RUN) for the registered emulators although none of its steps runs under one: the Engine's BuildKit runs its emulator check again each time a build asks for its workers' platforms. Builds of other platforms need the handlers, so they stay registered; the cost goes with a Docker Engine whose BuildKit caches the check (BuildKit 0.11, Docker 23).`
    : 'The side without emulators was not measured (it needs root and a registered emulator).',
  '',
].join('\n');
await recordRun(historyLine('engine', { id: opts.runId, startedAt }, machine, { iterations: ITERATIONS, emulators, mediansMs: medians, ...(perBuild ? { emulatorCostMs: perBuild } : {}) }), summary);
