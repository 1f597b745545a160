// End-to-end build benchmark: the same small application built and pushed by the Docker Engine's own
// BuildKit with no Slipway ("raw"), by the legacy builder (reference), and by `slipway build` through a
// real API and worker, interleaved so every side shares the machine's noise. Uncached: each build gets a
// context of its own (fresh random files), so no build reuses another's BuildKit cache or registry blobs.
// Cached: the identical context built and pushed again. Writes the `build` section of the results.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { REGISTRY, startTestStack } from '../test/support/stack.js';
import { compileCli } from './lib/compiled-cli.js';
import { measureComponents } from './lib/components.js';
import { reapedChildrenCpuMs, startStackCpu } from './lib/cpu.js';
import { APP_DOCKERFILE, writeAppContext } from './lib/contexts.js';
import { legacyBuildAndPush, rawBuildAndPush, removeLocalImages } from './lib/docker.js';
import { buildFigures } from './lib/figures.js';
import { historyLine, recordRun } from './lib/history.js';
import { machineInfo } from './lib/machine.js';
import { benchOptions, ROOT } from './lib/options.js';
import { deleteManifests } from './lib/registry.js';
import { UNDER_NODE_VARIANT, type BuildSample, type BuildSection, type Comparison, type Mode, type OverheadEstimate, type Side } from './lib/results.js';
import { measureSlipwayBuild, runCli, type CliVariant, type SlipwayPhases } from './lib/slipway.js';
import { renderBuild } from './lib/summary.js';
import { median, medianOfEach, summarize } from './lib/stats.js';

const PLATFORM = 'linux/amd64';
const UNCACHED_RATIO_TARGET = 1.1;
const CACHED_DELTA_TARGET_MS = 300;
const STARTUP_SAMPLES = 3;
/** Sides that are run in the first iterations only, to fit the time budget (see the loop). */
const LEGACY_ITERATIONS = 1;
const TSX_ITERATIONS = 2;

const opts = benchOptions();
const socket = loadConfig().dockerSocket;
const began = performance.now();
const startedAt = new Date().toISOString();
const machine = await machineInfo();
const say = (msg: string) => process.stderr.write(`bench build: ${msg}\n`);

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-build-'));
const tag = `b${Date.now().toString(36)}`;
const pushed = new Set<string>();
const failures: string[] = [];
let contextSize = 0;
const stack = await startTestStack();
// The CLI's context cache (an unchanged folder is not packed again) starts empty and stays out of the user's;
// the stack's admin token is sent as a logged-in user's CLI sends it.
const cliEnv: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_CACHE_DIR: path.join(work, 'cli-cache'), SLIPWAY_TOKEN: stack.token };
let compiled: Awaited<ReturnType<typeof compileCli>> | undefined;
try {
  compiled = await compileCli();
  const variants: CliVariant[] = [{ name: 'tsx', command: [process.execPath, '--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')] }];
  // `slipway` as installed is the bundle run by its own #! line (sh, then Node). Node 20 loads the CA file
  // NODE_EXTRA_CA_CERTS names at every start, before any code of ours runs; that launcher defers it.
  // Where the machine sets it, `node dist/cli/slipway.js`, which cannot defer it, is timed as well.
  const { NODE_EXTRA_CA_CERTS, ...withoutCerts } = process.env;
  if ('main' in compiled) {
    variants.push({ name: 'compiled', command: [compiled.main] });
    if (NODE_EXTRA_CA_CERTS) variants.push({ name: UNDER_NODE_VARIANT, command: [process.execPath, compiled.main] });
  } else failures.push(`compiled CLI not measured: ${compiled.error}`);
  const variantOf = new Map(variants.map((v) => [`slipway-${v.name}` as Side, v]));
  const sides: Side[] = ['raw', ...variantOf.keys(), 'legacy'];

  const cliStartup: BuildSection['cliStartup'] = {};
  /** Wall time of STARTUP_SAMPLES runs of `variant` with `args`, as cliStartup[name]. */
  const timeStartup = async (name: string, variant: CliVariant, args: string[], env?: NodeJS.ProcessEnv) => {
    const times: number[] = [];
    for (let i = 0; i < STARTUP_SAMPLES; i++) times.push((await runCli(variant, args, { cwd: ROOT, env })).totalMs);
    cliStartup[name] = summarize(times);
    say(`${name} ${args.join(' ') || variant.command.slice(1).join(' ')}: median ${Math.round(cliStartup[name]!.p50)} ms`);
  };
  for (const v of variants) await timeStartup(v.name, v, ['--version']);
  // What any Node program pays here before the CLI's own code: `node -e 0`, with and without the CA bundle.
  const bareNode: CliVariant = { name: 'node', command: [process.execPath, '-e', '0'] };
  await timeStartup('node', bareNode, []);
  if (NODE_EXTRA_CA_CERTS) await timeStartup('node without NODE_EXTRA_CA_CERTS', bareNode, [], withoutCerts);

  const measure = async (side: Side, dir: string, iteration: number, mode: Mode): Promise<BuildSample> => {
    const image = `${REGISTRY}/bench/${side}:${tag}-${iteration}`;
    pushed.add(image);
    let sample: BuildSample;
    const clientCpuBefore = reapedChildrenCpuMs();
    const stackCpu = startStackCpu(stack.prefix);
    if (side === 'raw' || side === 'legacy') {
      const t = side === 'raw' ? await rawBuildAndPush(socket, dir, image, PLATFORM) : await legacyBuildAndPush(dir, image);
      sample = { iteration, side, mode, totalMs: t.totalMs, buildMs: round(t.buildMs), firstByteMs: t.firstByteMs === undefined ? undefined : round(t.firstByteMs), pushMs: round(t.pushMs) };
    } else {
      const m = await measureSlipwayBuild(variantOf.get(side)!, stack.url, dir, image, ROOT, cliEnv);
      sample = { iteration, side, mode, totalMs: m.totalMs, phases: m.phases, runId: m.runId, logLagMs: m.logLagMs, uploaded: m.uploaded, error: m.error };
      if (m.error) failures.push(`${side} ${mode} #${iteration}: ${m.error}`);
    }
    sample.totalMs = Math.round(sample.totalMs);
    const stackSpent = stackCpu();
    sample.cpuMs = { client: Math.round(reapedChildrenCpuMs() - clientCpuBefore), ...(side.startsWith('slipway') ? stackSpent : {}) };
    say(`#${iteration} ${mode.padEnd(8)} ${side.padEnd(16)} ${String(sample.totalMs).padStart(6)} ms${sample.error ? ' FAILED' : ''}`);
    return sample;
  };

  /** One iteration: each side uncached (each with a fresh context of its own), then each side cached. */
  const iteration = async (i: number, these: Side[], modes: readonly Mode[]): Promise<BuildSample[]> => {
    const order = these.map((_, k) => these[(k + i) % these.length]!);
    const dirs = new Map<Side, string>();
    for (const side of these) {
      const ctx = await writeAppContext(path.join(work, `${i}-${side}`));
      contextSize = ctx.bytes;
      dirs.set(side, ctx.dir);
    }
    const out: BuildSample[] = [];
    for (const mode of modes) {
      for (const side of order) out.push(await measure(side, dirs.get(side)!, i, mode));
    }
    for (const dir of dirs.values()) await fs.rm(dir, { recursive: true, force: true });
    return out;
  };

  // Warm-up, not counted: forks the worker's sandboxed child, brings the base image into BuildKit's view.
  say('warm-up (not counted)');
  const warmup = await iteration(0, [[...variantOf.keys()].pop()!], ['uncached']);
  const samples: BuildSample[] = [];
  for (let i = 1; i <= opts.iterations; i++) {
    if (performance.now() - began > opts.buildBudgetMs) {
      failures.push(`stopped after ${i - 1} of ${opts.iterations} iterations: past the ${opts.buildBudgetMs / 1000} s budget`);
      break;
    }
    // The legacy builder is a reference point only. The CLI under tsx differs from the compiled one only
    // in its startup (the phases show it), so raw and the compiled CLI get the most pairs.
    const these = sides.filter((s) => (s === 'legacy' ? i <= LEGACY_ITERATIONS : s === 'slipway-tsx' ? i <= TSX_ITERATIONS : true));
    samples.push(...(await iteration(i, these, ['uncached', 'cached'])));
  }

  say('timing Slipway\'s own steps in-process (pack, store, unpack, tar)');
  const componentDir = path.join(work, 'components');
  const components = await measureComponents((await writeAppContext(path.join(componentDir, 'context'))).dir, componentDir);

  const ok = samples.filter((s) => !s.error);
  const totals = (side: Side, mode: Mode) => ok.filter((s) => s.side === side && s.mode === mode).map((s) => s.totalMs);
  const medians: BuildSection['medians'] = {};
  for (const side of sides) medians[side] = { uncached: nullIfNaN(median(totals(side, 'uncached'))), cached: nullIfNaN(median(totals(side, 'cached'))) };

  const comparisons: Record<string, Comparison> = {};
  const breakdown: BuildSection['breakdown'] = {};
  const overheadEstimate: BuildSection['overheadEstimate'] = {};
  for (const [side, v] of variantOf) {
    const pairs = (mode: Mode) =>
      ok.filter((s) => s.side === side && s.mode === mode).flatMap((s) => {
        const raw = ok.find((r) => r.side === 'raw' && r.mode === mode && r.iteration === s.iteration);
        return raw ? [[s.totalMs, raw.totalMs] as const] : [];
      });
    const su = medians[side]!.uncached;
    const ru = medians.raw!.uncached;
    const sc = medians[side]!.cached;
    const rc = medians.raw!.cached;
    if (su !== null && ru !== null && sc !== null && rc !== null) {
      const uncachedRatio = round2(su / ru);
      const cachedDeltaMs = Math.round(sc - rc);
      comparisons[v.name] = {
        uncachedRatio,
        uncachedPairRatio: round2(median(pairs('uncached').map(([s, r]) => s / r))),
        cachedDeltaMs,
        cachedPairDeltaMs: Math.round(median(pairs('cached').map(([s, r]) => s - r))),
        uncachedTargetMet: uncachedRatio <= UNCACHED_RATIO_TARGET,
        cachedTargetMet: cachedDeltaMs <= CACHED_DELTA_TARGET_MS,
      };
    }
    const phaseMedians = (mode: Mode) => {
      const rows = ok.filter((s) => s.side === side && s.mode === mode);
      return { ...medianOfEach(rows.map((s) => ({ ...s.phases! }))), ...medianOfEach(rows.map((s) => ({ logLagMs: s.logLagMs }))) };
    };
    breakdown[v.name] = { uncached: phaseMedians('uncached'), cached: phaseMedians('cached') };
    // What Slipway adds is measured in phases that never touch the Engine; the Engine's share of a run is
    // the same work raw does, and on a shared machine it carries nearly all of the noise.
    const estimate = (mode: Mode): OverheadEstimate => {
      const rows = ok.filter((s) => s.side === side && s.mode === mode && s.phases);
      const own = rows.map((s) => slipwayOnlyMs(s.phases!));
      const engine = rows.map((s) => s.totalMs - slipwayOnlyMs(s.phases!));
      const raw = medians.raw![mode] ?? NaN;
      const slipwayOnly = Math.round(median(own));
      return { slipwayOnlyMs: slipwayOnly, engineSideMs: Math.round(median(engine)), rawMs: raw, estimatedRatio: round2((raw + slipwayOnly) / raw), estimatedDeltaMs: slipwayOnly };
    };
    overheadEstimate[v.name] = { uncached: estimate('uncached'), cached: estimate('cached') };
  }
  const cpu: BuildSection['cpu'] = {};
  for (const side of sides) {
    const rows = (mode: Mode) => medianOfEach(ok.filter((s) => s.side === side && s.mode === mode && s.cpuMs).map((s) => ({ ...s.cpuMs! })));
    cpu[side] = { uncached: rows('uncached'), cached: rows('cached') };
  }
  const rawBreakdown: BuildSection['rawBreakdown'] = {};
  for (const side of ['raw', 'legacy'] as const) {
    const rows = (mode: Mode) => medianOfEach(ok.filter((s) => s.side === side && s.mode === mode).map((s) => ({ buildMs: s.buildMs, firstByteMs: s.firstByteMs, pushMs: s.pushMs })));
    rawBreakdown[side] = { uncached: rows('uncached'), cached: rows('cached') };
  }

  const section: BuildSection = {
    iterations: new Set(samples.map((s) => s.iteration)).size,
    context: { bytes: contextSize, dockerfile: APP_DOCKERFILE },
    cliStartup,
    compiledCli: 'main' in compiled ? { compileMs: Math.round(compiled.compileMs) } : { error: compiled.error },
    medians,
    comparisons,
    breakdown,
    rawBreakdown,
    cpu,
    overheadEstimate,
    components,
    warmup,
    samples,
    failures,
    loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    elapsedMs: Math.round(performance.now() - began),
  };
  const file = await recordRun(historyLine('build', { id: opts.runId, startedAt }, machine, buildFigures(section)), renderBuild(opts.runId, machine, section));
  say(`results in ${path.relative(ROOT, file)} and bench/results/history.jsonl`);
  for (const [name, c] of Object.entries(comparisons)) {
    say(`slipway (${name} CLI): uncached ${c.uncachedRatio}× raw (target ≤ ${UNCACHED_RATIO_TARGET}×), cached +${c.cachedDeltaMs} ms over raw (target ≤ ${CACHED_DELTA_TARGET_MS} ms)`);
  }
} finally {
  say('cleaning up images and manifests');
  const images = [...pushed];
  await removeLocalImages(images);
  await deleteManifests(images);
  await stack.close();
  if (compiled && 'cleanup' in compiled) await compiled.cleanup();
  await fs.rm(work, { recursive: true, force: true });
}

/**
 * The phases of a run that involve no Engine work. The worker no longer unpacks an upload (it streams the
 * stored archive to the Engine), so its preparation overlaps the Engine's start and is not added.
 */
function slipwayOnlyMs(p: SlipwayPhases): number {
  const own = [p.cliStartup, p.pack, p.uploadSubmit, p.queue, p.record, p.followEnd, p.exit];
  return own.reduce<number>((a, b) => a + (b ?? 0), 0);
}

function round(x: number): number {
  return Math.round(x);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function nullIfNaN(x: number): number | null {
  return Number.isNaN(x) ? null : Math.round(x);
}
