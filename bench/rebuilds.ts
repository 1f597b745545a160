// Base-image rebuild bench (issue 5's figures): (1) a generated graph of BENCH_REBUILD_TASKS tasks (10,000):
// the time from a base change to every rebuild planned and queued, target ≤ 2 s; (2) a registry push to the
// first dependent rebuild started on a worker, target ≤ 1 s. Rewrites bench/results/rebuilds.md and appends
// its figures to bench/results/history.jsonl. Standalone: node --import tsx bench/rebuilds.ts
import { GitServer } from '../test/support/git-server.js';
import { machineInfo } from './lib/machine.js';
import { rebuildsFigures } from './lib/figures.js';
import { historyLine, recordRun } from './lib/history.js';
import { benchOptions } from './lib/options.js';
import { planAndEnqueue } from './lib/rebuild-plan.js';
import { eventToStart } from './lib/rebuild-latency.js';
import { median, summarize } from './lib/stats.js';

const TASKS = Number(process.env.BENCH_REBUILD_TASKS ?? 10_000);
const PLAN_REPEATS = Number(process.env.BENCH_REBUILD_PLAN_REPEATS ?? 3);
const LATENCY_PUSHES = Number(process.env.BENCH_REBUILD_PUSHES ?? 8);
const PLAN_TARGET_MS = 2000;
const LATENCY_TARGET_MS = 1000;
const say = (msg: string) => process.stderr.write(`bench rebuilds: ${msg}\n`);

const startedAt = new Date().toISOString();
const git = await GitServer.start({ daemon: false });
try {
  await git.createRepo('bench-rebuilds');
  await git.commit('bench-rebuilds', { Dockerfile: 'FROM scratch\n' }, 'first');
  const plans = [];
  for (let i = 0; i < PLAN_REPEATS; i++) {
    const sample = await planAndEnqueue(git, TASKS);
    if (sample.planned !== TASKS) throw new Error(`the plan holds ${sample.planned} of ${TASKS} tasks`);
    say(`plan + enqueue of ${sample.planned} rebuilds: ${Math.round(sample.ms)} ms; the first ${sample.dispatched} runs (the cap) in BullMQ at ${Math.round(sample.firstRunsMs)} ms`);
    plans.push(sample);
  }
  const latency = await eventToStart(git, LATENCY_PUSHES);
  for (const f of latency.failures) say(`FAILURE ${f}`);
  say(`push → rebuild started, each push in turn: ${latency.samples.map((ms) => `${Math.round(ms)} ms`).join(', ')}`);
  const planMs = median(plans.map((p) => p.ms));
  const lat = summarize(latency.samples);
  const result = {
    at: new Date().toISOString(),
    machine: await machineInfo(),
    plan: {
      tasks: TASKS,
      samplesMs: plans.map((p) => Math.round(p.ms)),
      medianMs: Math.round(planMs),
      firstRunsMs: plans.map((p) => Math.round(p.firstRunsMs)),
      targetMs: PLAN_TARGET_MS,
      met: planMs <= PLAN_TARGET_MS,
    },
    eventToStart: { pushes: latency.samples.length, summaryMs: lat, targetMs: LATENCY_TARGET_MS, met: latency.failures.length === 0 && lat.max <= LATENCY_TARGET_MS, failures: latency.failures },
  };
  const md = [
    '# Base-image rebuild benchmark',
    '',
    `${result.at} · commit \`${result.machine.commit}\` · ${result.machine.cpus} × ${result.machine.cpuModel} · load average at the end ${result.machine.loadAverage.map((l: number) => l.toFixed(2)).join(' / ')}`,
    '',
    '| figure | measured | target | |',
    '|---|---:|---:|---|',
    `| plan + enqueue every rebuild, ${TASKS.toLocaleString('en')} tasks (median of ${plans.length}) | ${result.plan.medianMs} ms | ≤ ${PLAN_TARGET_MS} ms | ${result.plan.met ? 'met' : '**not met**'} |`,
    `| … and the first ${plans[0]?.dispatched ?? 2} runs (the rebuild cap) created and in BullMQ (median) | ${Math.round(median(plans.map((p) => p.firstRunsMs)))} ms | | |`,
    `| registry push → first dependent rebuild started (max of ${lat.n}; p50 ${Math.round(lat.p50)} ms) | ${Math.round(lat.max)} ms | ≤ ${LATENCY_TARGET_MS} ms | ${result.eventToStart.met ? 'met' : '**not met**'} |`,
    '',
    `The graph: ${Math.round(TASKS / 100)} tasks on the base, each of the rest on two of them (one runtime base, one build-time base, trigger \`all\`), so the plan has two levels and every second-level task is a diamond. "Plan + enqueue" ends when the wave is written in Redis: every task's entry with the parents it waits for, the first level in the shared ready queue. Rebuild runs are created from it as rebuild slots free (SLIPWAY_REBUILD_CONCURRENCY, 2 here); the second row is when the first ${plans[0]?.dispatched ?? 2} exist, each created with its commit asked of a git server on loopback and queued in BullMQ at the rebuild priority.`,
    '',
    'The push: `PUT` of the base tag to the other of two prepared manifests in a registry of the bench\'s own, whose notifications go to the API; the time runs to the rebuild run\'s startedAt (a worker took it), on the same clock.',
    '',
  ].join('\n');
  await recordRun(historyLine('rebuilds', { id: benchOptions().runId, startedAt }, result.machine, rebuildsFigures(result)), md);
  say(`plan median ${result.plan.medianMs} ms (target ${PLAN_TARGET_MS}); push → started p50 ${Math.round(lat.p50)} ms, max ${Math.round(lat.max)} ms (target ${LATENCY_TARGET_MS})`);
} finally {
  await git.stop();
}
