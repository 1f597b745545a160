// bench/results/build.md and latency.md: the short, human summary of the latest run of each.
import type { MachineInfo } from './machine.js';
import { UNDER_NODE_VARIANT, type BuildSection, type LatencySection, type Mode, type OverheadEstimate } from './results.js';
import type { SlipwayPhases } from './slipway.js';

const PHASES: [keyof SlipwayPhases, string][] = [
  ['cliStartup', 'CLI startup (node, modules, args)'],
  ['pack', 'context: walk + cache lookup + HEAD when unchanged; else pack streamed into the upload'],
  ['uploadSubmit', 'POST /v1/runs → createdAt'],
  ['queue', 'createdAt → startedAt (queue, child)'],
  ['prepare', 'worker: Dockerfile read from the stored context, base digests, context streamed to the Engine, BuildKit starts'],
  ['build', 'BuildKit build'],
  ['push', 'push'],
  ['record', 'last log line → finishedAt'],
  ['followEnd', 'finishedAt → CLI prints the outcome'],
  ['exit', 'CLI exit'],
];

const ms = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${Math.round(x)}`);
const mark = (ok: boolean) => (ok ? 'met' : '**not met**');
const signed = (x: number) => `${x < 0 ? '−' : '+'}${Math.abs(Math.round(x))}`;

export function renderBuild(runId: string, m: MachineInfo, b: BuildSection): string {
  return `${[...benchHeader('end-to-end build + push', runId, m), ...buildSummary(b)].join('\n')}\n`;
}

export function renderLatency(runId: string, m: MachineInfo, l: LatencySection): string {
  return `${[...benchHeader('submit-to-start latency', runId, m), ...latencySummary(l)].join('\n')}\n`;
}

/** The lines every bench summary starts with: what ran, where, on which commit. */
export function benchHeader(title: string, runId: string, m: MachineInfo): string[] {
  return [
    `# Slipway benchmarks: ${title}`,
    '',
    `Run \`${runId}\` · commit \`${m.commit}\`${m.dirty ? ' + uncommitted changes' : ''} · ${m.cpus} × ${m.cpuModel} · ${m.memoryGiB} GiB · ` +
      `Docker Engine ${m.dockerEngine} · Node ${m.node} · load average at start ${m.loadAverage.join(' / ')}` +
      (m.engineStore ? ` · the Engine held ${m.engineStore.images} images and ${m.engineStore.buildCacheRecords} build-cache records (${m.engineStore.buildCacheSize}) at start` : ''),
    '',
  ];
}

function buildSummary(b: BuildSection): string[] {
  const variants = Object.keys(b.breakdown);
  const label: Record<string, string> = {
    raw: 'raw: Engine API BuildKit build (curl) + `docker push`',
    legacy: 'legacy builder `DOCKER_BUILDKIT=0 docker build` + `docker push` (reference)',
  };
  const variantLabel = (v: string) =>
    v === 'tsx'
      ? 'CLI under `node --import tsx`'
      : v === UNDER_NODE_VARIANT
        ? 'compiled CLI under `node dist/cli/slipway.js` (Node 20 loads the CA file NODE_EXTRA_CA_CERTS names at every start)'
        : `${v} CLI as installed (\`dist/cli/slipway.js\`, bundled; its launcher defers NODE_EXTRA_CA_CERTS to the first https connection)`;
  for (const v of variants) label[`slipway-${v}`] = `\`slipway build\`, ${variantLabel(v)}`;
  const lines = [
    `## End-to-end build + push (median of up to ${b.iterations} interleaved iterations, ms)`,
    '',
    `Context: ${(b.context.bytes / 1024 ** 2).toFixed(1)} MiB (busybox base, 3 COPY, 2 RUN writing 3 MiB); uncached = a fresh context per build, cached = the same context again.`,
    '',
    '| | uncached | cached |',
    '|---|---:|---:|',
    ...Object.entries(b.medians).map(([side, v]) => {
      const n = (mode: Mode) => b.samples.filter((s) => s.side === side && s.mode === mode && !s.error).length;
      return `| ${label[side] ?? side} | ${ms(v.uncached)} (n=${n('uncached')}) | ${ms(v.cached)} (n=${n('cached')}) |`;
    }),
    '',
    '| target | ' + variants.map((v) => `${v} CLI`).join(' | ') + ' |',
    '|---|' + variants.map(() => '---|').join(''),
    '| uncached ≤ 1.10 × raw | ' +
      variants.map((v) => (b.comparisons[v] ? `${b.comparisons[v]!.uncachedRatio}× (pairs ${b.comparisons[v]!.uncachedPairRatio}×) ${mark(b.comparisons[v]!.uncachedTargetMet)}` : '–')).join(' | ') +
      ' |',
    '| cached ≤ raw + 300 ms | ' +
      variants.map((v) => (b.comparisons[v] ? `${signed(b.comparisons[v]!.cachedDeltaMs)} ms (pairs ${signed(b.comparisons[v]!.cachedPairDeltaMs)}) ${mark(b.comparisons[v]!.cachedTargetMet)}` : '–')).join(' | ') +
      ' |',
    '| estimate from Slipway-only phases: uncached | ' +
      variants.map((v) => est(b, v, 'uncached', (e) => `${e.estimatedRatio}× (+${e.slipwayOnlyMs} ms) ${mark(e.estimatedRatio <= 1.1)}`)).join(' | ') +
      ' |',
    '| estimate from Slipway-only phases: cached | ' +
      variants.map((v) => est(b, v, 'cached', (e) => `+${e.slipwayOnlyMs} ms ${mark(e.slipwayOnlyMs <= 300)}`)).join(' | ') +
      ' |',
    '',
    `Totals share one Docker Engine with whatever else runs on the machine (load average ${b.loadAverageAtEnd.join(' / ')} at the end), so they are noisy; ` +
      'the estimate adds up only the phases that involve no Engine work (CLI startup, pack, upload and submit, queue, following the end, exit), and sets them against the median raw build.',
    '',
    '### Where `slipway build` spends its time (median per phase, ms)',
    '',
    '| phase | ' + variants.flatMap((v) => (['uncached', 'cached'] as Mode[]).map((mode) => `${v} ${mode}`)).join(' | ') + ' |',
    '|---|' + variants.flatMap(() => ['---:|', '---:|']).join(''),
    ...PHASES.map(([key, text]) => `| ${text} | ` + variants.flatMap((v) => (['uncached', 'cached'] as Mode[]).map((mode) => ms(b.breakdown[v]?.[mode]?.[key]))).join(' | ') + ' |'),
    `| *total (median)* | ` + variants.flatMap((v) => (['uncached', 'cached'] as Mode[]).map((mode) => ms(b.medians[`slipway-${v}`]?.[mode]))).join(' | ') + ' |',
    '',
    `Raw for comparison (uncached / cached): BuildKit build ${ms(b.rawBreakdown.raw?.uncached.buildMs)} / ${ms(b.rawBreakdown.raw?.cached.buildMs)} ms, ` +
      `of which ${ms(b.rawBreakdown.raw?.uncached.firstByteMs)} / ${ms(b.rawBreakdown.raw?.cached.firstByteMs)} ms pass before the Engine's first answer byte ` +
      `(Docker 20.10's BuildKit runs its QEMU emulator check before it starts, and again during the build: bench/results/engine.md); ` +
      `\`docker push\` ${ms(b.rawBreakdown.raw?.uncached.pushMs)} / ${ms(b.rawBreakdown.raw?.cached.pushMs)} ms.`,
    '',
    `Slipway's own steps, in-process on this context (median of 5): CLI pack ${b.components.packMs} ms (${(b.components.packedBytes / 1024 ** 2).toFixed(1)} MiB gzipped), ` +
      `API store + validate ${b.components.storeMs} ms; unpacking into a workspace ${b.components.unpackMs} ms and its tar ${b.components.tarMs} ms, which only task files and daemonless Windows builds still need. ` +
      `\`slipway --version\` alone: ${Object.entries(b.cliStartup).filter(([v]) => !v.startsWith('node')).map(([v, s]) => `${v} ${ms(s.p50)} ms`).join(', ')}; ` +
      `\`node -e 0\`: ${Object.entries(b.cliStartup).filter(([v]) => v.startsWith('node')).map(([v, s]) => `${ms(s.p50)} ms${v === 'node' ? '' : v.slice(4)}`).join(', ')}. ` +
      `A log line from Redis to the CLI's stdout: ${variants.map((v) => `${ms(b.breakdown[v]?.uncached.logLagMs)} ms (${v})`).join(', ')}.`,
    '',
    'CPU spent per build outside the Engine (median ms, uncached / cached) — on 2 cores it competes with the build:',
    '',
    '| | client processes | Slipway API | Slipway worker + child |',
    '|---|---:|---:|---:|',
    ...Object.entries(b.cpu).map(
      ([side, c]) => `| ${side} | ${ms(c.uncached.client)} / ${ms(c.cached.client)} | ${ms(c.uncached.api)} / ${ms(c.cached.api)} | ${ms(c.uncached.worker)} / ${ms(c.cached.worker)} |`,
    ),
    '',
  ];
  if (b.failures.length) lines.push('Problems:', '', ...b.failures.map((f) => `- ${f.split('\n')[0]}`), '');
  return lines;
}

function est(b: BuildSection, variant: string, mode: Mode, show: (e: OverheadEstimate) => string): string {
  const e = b.overheadEstimate[variant]?.[mode];
  return e && Number.isFinite(e.estimatedRatio) ? show(e) : '–';
}

function latencySummary(l: LatencySection): string[] {
  const row = (name: string, s: { p50: number; p99: number; max: number }) => `| ${name} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`;
  const lines = [
    `## Submit-to-start latency (idle worker, ${l.runs} sequential runs, ms)`,
    '',
    'Each run is awaited before the next is posted. The main series names a Dockerfile the context lacks, so each run starts normally and fails before any Engine call (a real build costs seconds of Engine time before BuildKit starts, see build.md); real trivial builds are measured apart.',
    '',
    '| | p50 | p99 | max |',
    '|---|---:|---:|---:|',
    row('before POST /v1/runs → startedAt', l.submitToStart),
    row('before POST → createdAt (API)', l.submitToCreated),
    row('createdAt → startedAt (queue, child)', l.createdToStart),
    row('POST /v1/runs response', l.postResponse),
    row('startedAt → finishedAt (run fails before the Engine)', l.runDuration),
    row(`real trivial builds (${l.fullBuilds.submitToStart.n}): POST → startedAt`, l.fullBuilds.submitToStart),
    row('real trivial builds: startedAt → finishedAt', l.fullBuilds.runDuration),
    '',
    `Target p99 ≤ ${l.targetP99Ms} ms: ${mark(l.targetMet)} (p99 ${ms(l.submitToStart.p99)} ms). ` +
      `First run after the worker started: ${l.first.submitToStartMs} ms (createdAt → startedAt ${l.first.createdToStartMs} ms). ` +
      `After ${l.afterLongIdle.idleMs / 1000} s idle: ${l.afterLongIdle.submitToStartMs.map((x) => `${x} ms`).join(', ') || '–'}.`,
    '',
  ];
  const t = l.tokenCheckUs;
  if (t) {
    const c = l.tokenCheckColdUs;
    lines.push(
      `## The token check POST /v1/runs pays (${t.n} checks per path, µs)`,
      '',
      "The gate's own calls for the route, timed in the bench's process against the stack's Redis: the operation's rule, the token's SHA-256, its record, the role. " +
        "Cached: the record from the API's token cache, as every request after a token's first finds it while the instance hears token changes (src/auth/change-feed.ts). " +
        'From Redis: one GET per check, as with SLIPWAY_TOKEN_CACHE=0, on a token\'s first request, and while an instance cannot hear token changes.',
      '',
      '| path | p50 | p99 | max |',
      '|---|---:|---:|---:|',
      `| cached | ${t.p50} | ${t.p99} | ${t.max} |`,
      ...(c ? [`| from Redis | ${c.p50} | ${c.p99} | ${c.max} |`] : []),
      '',
      `Target p99 ≤ ${t.targetP99Us} µs (cached path): ${mark(t.targetMet)}.` +
        (l.tokenCheckCachedColdReads ? ` ${l.tokenCheckCachedColdReads} checks of the cached series found the cache out of use and read Redis.` : ''),
      '',
    );
  }
  if (l.failures.length) lines.push('Problems:', '', ...l.failures.slice(0, 5).map((f) => `- ${f.split('\n')[0]}`), '');
  return lines;
}
