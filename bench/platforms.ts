// Multi-platform benchmark. (1) `slipway build --platform linux/amd64,linux/arm64,windows/amd64` through a
// real API and worker, against the linux platforms built one after another by the Engine's own BuildKit
// (curl to /build?version=2&platform=…) + `docker push` each; windows/amd64 has no raw route here (no
// Windows daemon), so Slipway's daemonless windows assembly is reported from the run's per-platform
// timestamps and added to the raw sum. Uncached: a fresh context per build. (2) The QEMU slowdown: the
// same CPU-bound RUN step built raw for linux/arm64 (emulated) and linux/amd64 (native), uncached (nonce
// before the RUN). Rewrites bench/results/platforms.md and appends its figures to bench/results/history.jsonl.
// Bounded: BENCH_PLATFORMS_BUDGET_S (150) stops new
// iterations from starting; BENCH_PLATFORMS_ITERATIONS (2) and BENCH_QEMU_ITERATIONS (3).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { pushThreePlatformBase } from '../test/support/bases.js';
import { REGISTRY, startTestStack, uniqueName } from '../test/support/stack.js';
import { compileCli } from './lib/compiled-cli.js';
import { dockerPush, removeLocalImages } from './lib/docker.js';
import { machineInfo, type MachineInfo } from './lib/machine.js';
import { platformsFigures } from './lib/figures.js';
import { historyLine, recordRun } from './lib/history.js';
import { benchOptions, ROOT } from './lib/options.js';
import { cpuDockerfile, engineBuildTraced, LOOP_COUNT, slipwayMultiBuild, threePlatformDockerfile, writeContext, type SlipwayMultiRun } from './lib/platforms.js';
import { renderPlatforms, type PlatformsSection, type QemuSample, type RawPlatform, type ThreePlatformSample } from './lib/platforms-summary.js';
import { deleteManifests } from './lib/registry.js';
import type { CliVariant } from './lib/slipway.js';
import { median } from './lib/stats.js';

const THREE = ['linux/amd64', 'linux/arm64', 'windows/amd64'] as const;
const LINUX = ['linux/amd64', 'linux/arm64'] as const;

function int(name: string, fallback: number): number {
  const n = Number(process.env[name] || fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a positive integer`);
  return n;
}

const opts = benchOptions();
const ITERATIONS = int('BENCH_PLATFORMS_ITERATIONS', 2);
const QEMU_ITERATIONS = int('BENCH_QEMU_ITERATIONS', 3);
const BUDGET_MS = int('BENCH_PLATFORMS_BUDGET_S', 150) * 1000;
const socket = loadConfig().dockerSocket;
const began = performance.now();
const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
const elapsed = () => performance.now() - began;
const say = (msg: string) => process.stderr.write(`bench platforms: ${msg}\n`);

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-platforms-'));
const tag = `p${Date.now().toString(36)}`;
const pushed = new Set<string>();
const localOnly = new Set<string>();
const failures: string[] = [];
const [stack, compiled] = await Promise.all([startTestStack({ platforms: LINUX.join(',') }), compileCli()]);
let section: PlatformsSection | undefined;
try {
  const variant: CliVariant =
    'main' in compiled ? { name: 'compiled', command: [compiled.main] } : { name: 'tsx', command: [process.execPath, '--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')] };
  if (!('main' in compiled)) failures.push(`compiled CLI unavailable, used tsx: ${compiled.error.split('\n')[0]}`);
  const baseRepo = `bench/${uniqueName('tribase')}`;
  const base = await pushThreePlatformBase(baseRepo);
  pushed.add(base);
  say(`base ${base}; stack and ${variant.name} CLI ready after ${Math.round(elapsed())} ms`);

  let contextBytes = 0;
  const ctx = async (name: string, dockerfile: string) => {
    const dir = path.join(work, name);
    contextBytes = await writeContext(dir, dockerfile);
    return dir;
  };
  const slipwayRun = async (name: string, platforms: readonly string[]) => {
    const image = `${REGISTRY}/bench/platforms-slipway:${tag}-${name}`;
    pushed.add(image);
    const r = await slipwayMultiBuild(variant, stack.url, await ctx(`slipway-${name}`, threePlatformDockerfile(base)), image, platforms, ROOT);
    if (r.error) failures.push(`slipway ${name}: ${r.error}`);
    say(`${name} slipway ${platforms.length} platforms ${r.totalMs} ms (${r.platforms.map((p) => `${p.platform} ${p.ms ?? '–'} ms`).join(', ')})${r.error ? ' FAILED' : ''}`);
    return r;
  };

  // Warm-up, not counted: the worker's sandboxed child, the base's layers in BuildKit for both archs.
  say('warm-up (not counted)');
  const warmup = await slipwayRun('warmup', THREE);

  const samples: ThreePlatformSample[] = [];
  for (let i = 1; i <= ITERATIONS; i++) {
    if (i > 1 && elapsed() > BUDGET_MS * 0.5) {
      failures.push(`three-platform: stopped after ${i - 1} of ${ITERATIONS} iterations (half of the ${BUDGET_MS / 1000} s budget spent)`);
      break;
    }
    const rawSide = async (): Promise<ThreePlatformSample['raw']> => {
      const dir = await ctx(`raw-${i}`, threePlatformDockerfile(base));
      const started = performance.now();
      const platforms: RawPlatform[] = [];
      try {
        for (const platform of LINUX) {
          const image = `${REGISTRY}/bench/platforms-raw:${tag}-${i}-${platform.split('/')[1]}`;
          pushed.add(image);
          const t0 = performance.now();
          const build = await engineBuildTraced(socket, dir, image, platform);
          const push = await dockerPush(image);
          platforms.push({ platform, buildMs: Math.round(build.ms), firstByteMs: Math.round(build.firstByteMs), pushMs: Math.round(push.ms), totalMs: Math.round(performance.now() - t0) });
        }
      } catch (err) {
        failures.push(`raw #${i}: ${(err as Error).message.split('\n')[0]}`);
        return { error: (err as Error).message };
      }
      const r = { platforms, sumMs: platforms.reduce((a, p) => a + p.totalMs, 0), wallMs: Math.round(performance.now() - started) };
      say(`#${i} raw amd64 + arm64 ${r.sumMs} ms (${platforms.map((p) => `${p.platform} ${p.totalMs}`).join(', ')})`);
      return r;
    };
    // Alternate which side goes first, so both share the machine's drift.
    let slipway: SlipwayMultiRun;
    let raw: ThreePlatformSample['raw'];
    if (i % 2 === 1) {
      slipway = await slipwayRun(String(i), THREE);
      raw = await rawSide();
    } else {
      raw = await rawSide();
      slipway = await slipwayRun(String(i), THREE);
    }
    samples.push({ iteration: i, slipway, raw });
  }

  // QEMU: the same uncached RUN step, raw, native amd64 vs emulated arm64, in alternating order.
  const qemu: QemuSample[] = [];
  for (let i = 1; i <= QEMU_ITERATIONS; i++) {
    if (i > 1 && elapsed() > BUDGET_MS) {
      failures.push(`qemu: stopped after ${i - 1} of ${QEMU_ITERATIONS} iterations (past the ${BUDGET_MS / 1000} s budget)`);
      break;
    }
    const dir = await ctx(`qemu-${i}`, cpuDockerfile(base));
    const times: Record<string, { buildMs: number; runStepMs?: number }> = {};
    try {
      const order = i % 2 === 1 ? LINUX : ([...LINUX].reverse() as readonly string[]);
      for (const platform of order) {
        const image = `${REGISTRY}/bench/platforms-qemu:${tag}-${i}-${platform.split('/')[1]}`;
        localOnly.add(image);
        const b = await engineBuildTraced(socket, dir, image, platform);
        times[platform] = { buildMs: Math.round(b.ms), runStepMs: b.runStepMs };
      }
    } catch (err) {
      failures.push(`qemu #${i}: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    const amd64 = times['linux/amd64']!;
    const arm64 = times['linux/arm64']!;
    const s: QemuSample = { iteration: i, amd64, arm64, buildRatio: round2(arm64.buildMs / amd64.buildMs) };
    if (amd64.runStepMs && arm64.runStepMs) s.runStepRatio = round2(arm64.runStepMs / amd64.runStepMs);
    qemu.push(s);
    say(`#${i} qemu RUN: amd64 ${amd64.buildMs} ms (step ${amd64.runStepMs ?? '–'}), arm64 ${arm64.buildMs} ms (step ${arm64.runStepMs ?? '–'}): ×${s.buildRatio} build, ×${s.runStepRatio ?? '–'} step`);
  }

  const ok = samples.filter((s) => !s.slipway.error && !('error' in s.raw));
  const rawOf = (s: ThreePlatformSample, platform: string) => ('error' in s.raw ? NaN : (s.raw.platforms.find((p) => p.platform === platform)?.totalMs ?? NaN));
  const winOf = (s: ThreePlatformSample) => s.slipway.platforms.find((p) => p.platform === 'windows/amd64')?.ms ?? NaN;
  const rawSum = (s: ThreePlatformSample) => ('error' in s.raw ? NaN : s.raw.sumMs);
  const med = (xs: number[]) => nullIfNaN(median(xs.filter(Number.isFinite)));
  const slipwayMs = med(ok.map((s) => s.slipway.totalMs));
  const rawLinuxSumMs = med(ok.map(rawSum));
  const slipwayWindowsMs = med(ok.map(winOf));
  const rawPlusWin = med(ok.map((s) => rawSum(s) + winOf(s)));
  const perPlatform: Record<string, number | null> = {};
  for (const p of THREE) perPlatform[p] = med(ok.map((s) => s.slipway.platforms.find((x) => x.platform === p)?.ms ?? NaN));

  section = {
    workerConcurrency: loadConfig().worker.concurrency,
    cli: variant.name,
    threePlatform: {
      dockerfile: threePlatformDockerfile('<three-platform base>'),
      contextBytes,
      iterations: samples.length,
      medians: {
        slipwayMs,
        slipwayPerPlatformMs: perPlatform,
        slipwayWindowsMs,
        rawAmd64Ms: med(ok.map((s) => rawOf(s, 'linux/amd64'))),
        rawArm64Ms: med(ok.map((s) => rawOf(s, 'linux/arm64'))),
        rawLinuxSumMs,
        rawPlusSlipwayWindowsMs: rawPlusWin,
      },
      ratioVsRawPlusWindows: slipwayMs !== null && rawPlusWin ? round2(slipwayMs / rawPlusWin) : null,
      pairRatiosVsRawPlusWindows: ok.map((s) => round2(s.slipway.totalMs / (rawSum(s) + winOf(s)))),
      ratioVsRawLinuxOnly: slipwayMs !== null && rawLinuxSumMs ? round2(slipwayMs / rawLinuxSumMs) : null,
      slipwayPlatformJobsSequential: samples.map((s) => s.slipway.sequential),
      samples,
      warmup,
    },
    qemu: {
      dockerfile: cpuDockerfile('<three-platform base>'),
      loopCount: LOOP_COUNT,
      iterations: qemu.length,
      medians: {
        amd64BuildMs: med(qemu.map((q) => q.amd64.buildMs)),
        arm64BuildMs: med(qemu.map((q) => q.arm64.buildMs)),
        amd64RunStepMs: med(qemu.map((q) => q.amd64.runStepMs ?? NaN)),
        arm64RunStepMs: med(qemu.map((q) => q.arm64.runStepMs ?? NaN)),
      },
      buildTimeFactor: nullIfNaN2(median(qemu.map((q) => q.buildRatio))),
      runStepFactor: nullIfNaN2(median(qemu.flatMap((q) => (q.runStepRatio === undefined ? [] : [q.runStepRatio])))),
      samples: qemu,
    },
    failures,
    loadAverageAtEnd: os.loadavg().map((x) => round2(x)),
    elapsedMs: Math.round(elapsed()),
  };
  await save(section);
  const t = section.threePlatform;
  say(`slipway 3 platforms ${t.medians.slipwayMs} ms vs raw amd64+arm64 ${t.medians.rawLinuxSumMs} ms + slipway windows ${t.medians.slipwayWindowsMs} ms = ×${t.ratioVsRawPlusWindows}`);
  say(`QEMU factor (arm64 ÷ amd64): whole build ×${section.qemu.buildTimeFactor}, RUN step ×${section.qemu.runStepFactor}`);
} finally {
  say('cleaning up images and manifests');
  await removeLocalImages([...pushed, ...localOnly]);
  await deleteManifests([...pushed]);
  await stack.close();
  if ('cleanup' in compiled) await compiled.cleanup();
  await fs.rm(work, { recursive: true, force: true });
}
if (!section) process.exitCode = 1;

async function save(s: PlatformsSection): Promise<void> {
  const machine: MachineInfo = { ...(await machineInfo()), loadAverage: loadAtStart };
  const startedAt = new Date(Date.now() - s.elapsedMs).toISOString();
  const md = renderPlatforms(opts.runId, machine, s);
  const file = await recordRun(historyLine('platforms', { id: opts.runId, startedAt }, machine, platformsFigures(s)), `# Slipway benchmarks: platforms\n\n${md}`);
  say(`results in ${path.relative(ROOT, file)} and bench/results/history.jsonl`);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function nullIfNaN(v: number): number | null {
  return Number.isFinite(v) ? Math.round(v) : null;
}

function nullIfNaN2(v: number): number | null {
  return Number.isFinite(v) ? round2(v) : null;
}
