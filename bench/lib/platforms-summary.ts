// The multi-platform bench's result section and its markdown (bench/results/platforms.md).
import type { MachineInfo } from './machine.js';
import type { SlipwayMultiRun } from './platforms.js';

const SECTION_HEADING = '## Multi-platform builds';
const THREE = ['linux/amd64', 'linux/arm64', 'windows/amd64'] as const;

export interface RawPlatform {
  platform: string;
  buildMs: number;
  firstByteMs: number;
  pushMs: number;
  totalMs: number;
}
export interface ThreePlatformSample {
  iteration: number;
  slipway: SlipwayMultiRun;
  raw: { platforms: RawPlatform[]; sumMs: number; wallMs: number } | { error: string };
}
export interface QemuSample {
  iteration: number;
  amd64: { buildMs: number; runStepMs?: number };
  arm64: { buildMs: number; runStepMs?: number };
  buildRatio: number;
  runStepRatio?: number;
}
export interface PlatformsSection {
  workerConcurrency: number;
  cli: string;
  threePlatform: {
    dockerfile: string;
    contextBytes: number;
    iterations: number;
    medians: {
      slipwayMs: number | null;
      slipwayPerPlatformMs: Record<string, number | null>;
      slipwayWindowsMs: number | null;
      rawAmd64Ms: number | null;
      rawArm64Ms: number | null;
      rawLinuxSumMs: number | null;
      rawPlusSlipwayWindowsMs: number | null;
    };
    /** slipway 3-platform wall time ÷ (raw amd64 + raw arm64 + slipway's windows), medians; and per iteration */
    ratioVsRawPlusWindows: number | null;
    pairRatiosVsRawPlusWindows: number[];
    /** slipway 3-platform wall time ÷ raw amd64 + arm64 only */
    ratioVsRawLinuxOnly: number | null;
    slipwayPlatformJobsSequential: (boolean | null)[];
    samples: ThreePlatformSample[];
    warmup?: SlipwayMultiRun;
  };
  qemu: {
    dockerfile: string;
    loopCount: number;
    iterations: number;
    medians: { amd64BuildMs: number | null; arm64BuildMs: number | null; amd64RunStepMs: number | null; arm64RunStepMs: number | null };
    /** median over iterations of arm64 build ms ÷ amd64 build ms (whole POST /build) */
    buildTimeFactor: number | null;
    /** the same for BuildKit's own timing of the RUN step alone */
    runStepFactor: number | null;
    samples: QemuSample[];
  };
  failures: string[];
  loadAverageAtEnd: number[];
  elapsedMs: number;
}

export function renderPlatforms(runId: string, m: MachineInfo, s: PlatformsSection): string {
  const t = s.threePlatform;
  const q = s.qemu;
  const ms = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${Math.round(x)}`);
  const x = (r: number | null) => (r === null ? '–' : `${r}×`);
  const lines = [
    `${SECTION_HEADING} (run \`${runId}\`, median of ${t.iterations} uncached iterations, ms)`,
    '',
    `${m.cpus} × ${m.cpuModel} · Docker Engine ${m.dockerEngine} · load average at start ${m.loadAverage.join(' / ')}, at end ${s.loadAverageAtEnd.join(' / ')} · ` +
      `${s.cli} CLI · the worker has one queue per platform, each of concurrency ${s.workerConcurrency}: Slipway's platform jobs ` +
      `${t.slipwayPlatformJobsSequential.every((b) => b === true) ? 'ran one after another' : t.slipwayPlatformJobsSequential.every((b) => b === false) ? 'overlapped (ran concurrently) in every iteration' : `ran one after another per iteration: ${t.slipwayPlatformJobsSequential.join(', ')}`}; raw builds them one after another.`,
    '',
    `Dockerfile: \`FROM\` a linux/amd64 + linux/arm64 + windows/amd64 base index, 2 \`COPY\` (${(t.contextBytes / 1024).toFixed(0)} KiB context, fresh per build), \`CMD\`; no RUN, so windows/amd64 is assembled without a daemon.`,
    '',
    '| | ms |',
    '|---|---:|',
    `| \`slipway build --platform linux/amd64,linux/arm64,windows/amd64\` (spawn → exit, image index pushed) | ${ms(t.medians.slipwayMs)} |`,
    ...THREE.map((p) => `| … of which the ${p} job (its startedAt → finishedAt) | ${ms(t.medians.slipwayPerPlatformMs[p])} |`),
    `| raw linux/amd64: Engine API BuildKit build (curl) + \`docker push\` | ${ms(t.medians.rawAmd64Ms)} |`,
    `| raw linux/arm64: the same (no RUN: nothing executes under QEMU) | ${ms(t.medians.rawArm64Ms)} |`,
    `| raw amd64 + arm64, one after another | ${ms(t.medians.rawLinuxSumMs)} |`,
    `| raw amd64 + arm64 + Slipway's daemonless windows/amd64 (no raw route for windows here) | ${ms(t.medians.rawPlusSlipwayWindowsMs)} |`,
    '',
    `Slipway 3-platform ÷ (raw amd64 + arm64 + windows as Slipway reports it): **${x(t.ratioVsRawPlusWindows)}** (per iteration ${t.pairRatiosVsRawPlusWindows.map((r) => `${r}×`).join(', ') || '–'}); ` +
      `÷ raw linux only: ${x(t.ratioVsRawLinuxOnly)}. Slipway's run also builds the image index and pushes it under the tag; raw pushes two single-platform tags.`,
    '',
    `### QEMU slowdown (raw Engine builds, uncached, ${q.iterations} iterations)`,
    '',
    `\`RUN i=0; while [ $i -lt ${q.loopCount} ]; do i=$((i+1)); done\` in busybox sh after a fresh nonce COPY, built for linux/amd64 (native) and linux/arm64 (qemu-aarch64 binfmt), no push.`,
    '',
    '| | linux/amd64 | linux/arm64 | arm64 ÷ amd64 (median of per-iteration ratios) |',
    '|---|---:|---:|---:|',
    `| whole build (POST /build) | ${ms(q.medians.amd64BuildMs)} | ${ms(q.medians.arm64BuildMs)} | **${x(q.buildTimeFactor)}** |`,
    `| RUN step alone (BuildKit vertex started → completed) | ${ms(q.medians.amd64RunStepMs)} | ${ms(q.medians.arm64RunStepMs)} | **${x(q.runStepFactor)}** |`,
    '',
  ];
  if (s.failures.length) lines.push('Problems:', '', ...s.failures.map((f) => `- ${f.split('\n')[0]}`), '');
  return `${lines.join('\n')}\n`;
}

