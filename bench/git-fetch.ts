// Git source bench: what a build's checkout costs with the mirror cache, cold and warm, against the cache-less
// ways (a full clone, a depth-1 clone). Generated repositories with a long history (BENCH_GIT_COMMITS commits,
// three files changed per commit, written with git fast-import) are served over smart HTTP on loopback, one
// per size in BENCH_GIT_FILES (default 300 and 3,000 files: a small tree, and one the size of a mid-sized
// service; a repository with 20,000 commits seldom has fewer). Each iteration times, in turn:
//   fresh         GitMirrorCache.checkout of the head commit with an empty cache (first build of the repository)
//   cached-ref    one new commit pushed, then checkout of `main` with the warm cache (ls-remote + fetch)
//   cached-commit one new commit pushed, then checkout of that SHA: what every build does, since runs are
//                 queued with the commit they build (a push webhook names it; the API resolves a ref before)
//   cached-hit    checkout of that SHA again (a rebuild, another platform of the same run: no network)
//   full-clone    `git clone` + checkout, no cache (full history)
//   depth1-clone  `git clone --depth 1`, no cache
// The target (a mirror-cached fetch ≤ 25% of a fresh clone) is reported against both baselines: `git clone`
// of the whole history, what a builder without a cache does, and Slipway's own first clone, which is already
// shallow (one commit's tree), so against it only the tree's size is saved and the fixed costs of a fetch
// (git processes, two HTTP round trips to a CGI git server) weigh more the smaller the tree.
// Rewrites bench/results/git-fetch.md, appends its figures to bench/results/history.jsonl and prints a
// summary. Standalone: node --import tsx bench/git-fetch.ts (BENCH_GIT_ITERATIONS, default 5; past
// BENCH_GIT_BUDGET_S, default 75 s of measuring per repository, no iteration after the first is started).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SecretMasker } from '../src/log.js';
import { git, GitServer } from '../test/support/git-server.js';
import { GitMirrorCache } from '../workers/source/git-mirror.js';
import { gitFetchFigures } from './lib/figures.js';
import { historyLine, recordRun } from './lib/history.js';
import { machineInfo } from './lib/machine.js';
import { benchOptions } from './lib/options.js';
import { median, summarize, type Summary } from './lib/stats.js';

const COMMITS = Number(process.env.BENCH_GIT_COMMITS ?? 20_000);
const FILE_COUNTS = (process.env.BENCH_GIT_FILES ?? '300,3000').split(',').map(Number);
const ITERATIONS = Number(process.env.BENCH_GIT_ITERATIONS ?? 5);
const BUDGET_MS = Number(process.env.BENCH_GIT_BUDGET_S ?? 75) * 1000;
const LINES_PER_FILE = 60;
const TARGET_RATIO = 0.25;
const SIDES = ['fresh', 'cached-ref', 'cached-commit', 'cached-hit', 'full-clone', 'depth1-clone'] as const;
type Side = (typeof SIDES)[number];

/** Deterministic PRNG (mulberry32), so every run benches the same repository. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fast-import stream: one commit adding `fileCount` files, then COMMITS-1 commits each editing a line of three. */
function history(fileCount: number): Buffer {
  const rand = prng(42);
  const word = () => Math.floor(rand() * 1e9).toString(36);
  const files = Array.from({ length: fileCount }, () => Array.from({ length: LINES_PER_FILE }, () => `${word()} ${word()} ${word()} ${word()} ${word()} ${word()}`));
  const pathOf = (i: number) => `src/module${i % 20}/file${i}.txt`;
  const out: Buffer[] = [];
  const data = (s: string) => out.push(Buffer.from(`data ${Buffer.byteLength(s)}\n${s}\n`));
  for (let c = 0; c < COMMITS; c++) {
    out.push(Buffer.from(`commit refs/heads/main\ncommitter Bench <bench@slipway.invalid> ${1_600_000_000 + c * 60} +0000\n`));
    data(`change ${c}`);
    const touched = c === 0 ? files.map((_, i) => i) : [0, 1, 2].map(() => Math.floor(rand() * fileCount));
    for (const i of touched) {
      if (c > 0) files[i]![Math.floor(rand() * LINES_PER_FILE)] = `${word()} changed in ${c} ${word()}`;
      out.push(Buffer.from(`M 100644 inline ${pathOf(i)}\n`));
      data(files[i]!.join('\n') + '\n');
    }
    out.push(Buffer.from('\n'));
  }
  return Buffer.concat(out);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

type RepositoryResult = Awaited<ReturnType<typeof benchRepository>>;

/** Generates a repository of `fileCount` files on `server` and times every side against it. */
async function benchRepository(server: GitServer, fileCount: number, scratch: string) {
  const began = performance.now();
  const name = `bench-${fileCount}`;
  const gen = await timed(async () => {
    await server.createRepo(name);
    await server.fastImport(name, history(fileCount));
    await git(['-C', server.repoDir(name), 'repack', '-adfq']); // deltified, as a server keeps it
  });
  const repoBytes = Number((await git(['-C', server.repoDir(name), 'count-objects', '-v'])).match(/size-pack: (\d+)/)?.[1] ?? 0) * 1024;
  const url = server.httpUrl(name);
  const newCache = (dir: string) =>
    new GitMirrorCache({ dir, masker: new SecretMasker(), limits: { cloneTimeoutMs: 120_000, maxRepoBytes: 2 * 1024 ** 3 }, policy: { allowInsecure: true, allowPrivateHosts: true, allowFile: false } });
  const warm = newCache(path.join(scratch, `warm-${fileCount}`));
  await warm.checkout({ url, ref: 'main', dest: path.join(scratch, `warmup-${fileCount}`) });
  console.error(`git-fetch bench: ${COMMITS} commits, ${fileCount} files, server pack ${(repoBytes / 1024 / 1024).toFixed(1)} MiB, generated in ${(gen.ms / 1000).toFixed(1)} s`);

  const samples: Record<Side, number[]> = { fresh: [], 'cached-ref': [], 'cached-commit': [], 'cached-hit': [], 'full-clone': [], 'depth1-clone': [] };
  const objects: Record<'fresh' | 'cached-ref' | 'cached-commit', number[]> = { fresh: [], 'cached-ref': [], 'cached-commit': [] };
  let n = 0;
  const dest = () => path.join(scratch, `ws-${n++}`);
  const measuring = performance.now();
  for (let i = 0; i < ITERATIONS && (i === 0 || performance.now() - measuring < BUDGET_MS); i++) {
    // By commit, as a build asks: its run was queued with the commit it builds.
    const head = (await git(['-C', server.repoDir(name), 'rev-parse', 'refs/heads/main'])).trim();
    const fresh = await timed(() => newCache(path.join(scratch, `cold-${i}`)).checkout({ url, ref: 'refs/heads/main', commit: head, dest: dest() }));
    assertKind(fresh.value.fetched, 'clone');
    samples.fresh.push(fresh.ms);
    objects.fresh.push(fresh.value.objects);

    await server.commit(name, { [`src/module1/file1.txt`]: `ref iteration ${i}\n` });
    const byRef = await timed(() => warm.checkout({ url, ref: 'main', dest: dest() }));
    assertKind(byRef.value.fetched, 'incremental');
    samples['cached-ref'].push(byRef.ms);
    objects['cached-ref'].push(byRef.value.objects);

    const sha = await server.commit(name, { [`src/module2/file2.txt`]: `commit iteration ${i}\n` });
    const byCommit = await timed(() => warm.checkout({ url, ref: 'refs/heads/main', commit: sha, dest: dest() }));
    assertKind(byCommit.value.fetched, 'incremental');
    samples['cached-commit'].push(byCommit.ms);
    objects['cached-commit'].push(byCommit.value.objects);

    const hit = await timed(() => warm.checkout({ url, ref: 'refs/heads/main', commit: sha, dest: dest() }));
    assertKind(hit.value.fetched, 'cached');
    samples['cached-hit'].push(hit.ms);

    samples['full-clone'].push((await timed(() => git(['clone', '--quiet', url, dest()]))).ms);
    samples['depth1-clone'].push((await timed(() => git(['clone', '--quiet', '--depth', '1', url, dest()]))).ms);
    await Promise.all((await fs.readdir(scratch)).filter((d) => d.startsWith('ws-') || d.startsWith('cold-')).map((d) => fs.rm(path.join(scratch, d), { recursive: true, force: true })));
  }

  const medians = Object.fromEntries(SIDES.map((s) => [s, Math.round(median(samples[s]))])) as Record<Side, number>;
  const ratio = (a: Side, b: Side) => Math.round((medians[a] / medians[b]) * 1000) / 1000;
  return {
    repository: { commits: COMMITS, files: fileCount, serverPackBytes: repoBytes, generateMs: Math.round(gen.ms) },
    iterations: samples.fresh.length,
    summaries: Object.fromEntries(SIDES.map((s) => [s, summarize(samples[s])])) as Record<Side, Summary>,
    medians,
    objects: Object.fromEntries(Object.entries(objects).map(([k, v]) => [k, median(v)])),
    ratios: {
      cachedRefVsFresh: ratio('cached-ref', 'fresh'),
      cachedCommitVsFresh: ratio('cached-commit', 'fresh'),
      cachedHitVsFresh: ratio('cached-hit', 'fresh'),
      cachedRefVsFullClone: ratio('cached-ref', 'full-clone'),
      cachedCommitVsFullClone: ratio('cached-commit', 'full-clone'),
      freshVsFullClone: ratio('fresh', 'full-clone'),
      freshVsDepth1Clone: ratio('fresh', 'depth1-clone'),
    },
    target: {
      ratio: TARGET_RATIO,
      cachedCommitVsFullCloneMet: ratio('cached-commit', 'full-clone') <= TARGET_RATIO,
      cachedCommitVsFreshMet: ratio('cached-commit', 'fresh') <= TARGET_RATIO,
      cachedRefVsFullCloneMet: ratio('cached-ref', 'full-clone') <= TARGET_RATIO,
      cachedRefVsFreshMet: ratio('cached-ref', 'fresh') <= TARGET_RATIO,
    },
    samples,
    elapsedMs: Math.round(performance.now() - began),
  };
}

function markdown(repositories: RepositoryResult[], machine: string): string {
  const verdict = (met: boolean) => (met ? 'met' : '**not met**');
  const lines = [
    '# Git source: mirror-cached fetch against a fresh clone',
    '',
    `${machine}. Median ms of ${repositories.map((r) => r.iterations).join(' / ')} iterations; ${COMMITS.toLocaleString('en')} commits, three files changed in each.`,
    '',
    `| | ${repositories.map((r) => `${r.repository.files.toLocaleString('en')} files (${(r.repository.serverPackBytes / 1024 ** 2).toFixed(1)} MiB pack)`).join(' | ')} |`,
    `|---|${repositories.map(() => '---:').join('|')}|`,
    ...SIDES.map((side) => `| ${side} | ${repositories.map((r) => r.medians[side]).join(' | ')} |`),
    '',
    `Target: the mirror-cached fetch ≤ ${TARGET_RATIO} of a fresh clone. Builds check out by commit (cached-commit): runs are queued with the commit they build.`,
    '',
    `| ratio | ${repositories.map((r) => `${r.repository.files.toLocaleString('en')} files`).join(' | ')} |`,
    `|---|${repositories.map(() => '---').join('|')}|`,
    `| cached-commit ÷ full-clone | ${repositories.map((r) => `${r.ratios.cachedCommitVsFullClone} ${verdict(r.target.cachedCommitVsFullCloneMet)}`).join(' | ')} |`,
    `| cached-commit ÷ fresh (Slipway's shallow first clone) | ${repositories.map((r) => `${r.ratios.cachedCommitVsFresh} ${verdict(r.target.cachedCommitVsFreshMet)}`).join(' | ')} |`,
    `| cached-ref ÷ full-clone | ${repositories.map((r) => `${r.ratios.cachedRefVsFullClone} ${verdict(r.target.cachedRefVsFullCloneMet)}`).join(' | ')} |`,
    `| cached-ref ÷ fresh | ${repositories.map((r) => `${r.ratios.cachedRefVsFresh} ${verdict(r.target.cachedRefVsFreshMet)}`).join(' | ')} |`,
    `| cached-hit ÷ fresh | ${repositories.map((r) => r.ratios.cachedHitVsFresh).join(' | ')} |`,
    '',
    `Objects fetched (median): ${repositories.map((r) => `${r.repository.files} files: fresh ${r.objects.fresh}, cached-ref ${r.objects['cached-ref']}, cached-commit ${r.objects['cached-commit']}`).join('; ')}.`,
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const began = performance.now();
  const startedAt = new Date().toISOString();
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-git-'));
  const server = await GitServer.start({ daemon: false });
  try {
    const repositories: RepositoryResult[] = [];
    for (const files of FILE_COUNTS) repositories.push(await benchRepository(server, files, scratch));
    const gitVersion = (await git(['--version'])).trim();
    const info = await machineInfo();
    const machine = `${startedAt.slice(0, 10)} · commit \`${info.commit}\` · ${info.cpus} × ${info.cpuModel} · ${gitVersion} · load average ${info.loadAverage.map((l) => l.toFixed(2)).join(' / ')}`;
    await recordRun(historyLine('git-fetch', { id: benchOptions().runId, startedAt }, info, gitFetchFigures(repositories, gitVersion)), markdown(repositories, machine));
    for (const r of repositories) {
      const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
      console.log(`git-fetch: ${r.repository.files} files, ${r.iterations} iterations, medians (ms): ${SIDES.map((s) => `${s} ${r.medians[s]}`).join(', ')}`);
      console.log(
        `git-fetch: ${r.repository.files} files: cached by commit ${r.ratios.cachedCommitVsFullClone} of a full clone (${verdict(r.target.cachedCommitVsFullCloneMet)}), ` +
          `${r.ratios.cachedCommitVsFresh} of Slipway's shallow first clone (${verdict(r.target.cachedCommitVsFreshMet)}); target ≤ ${TARGET_RATIO}`,
      );
    }
    console.log(`git-fetch: results in bench/results/git-fetch.md and history.jsonl (${((performance.now() - began) / 1000).toFixed(1)} s)`);
  } finally {
    await server.stop();
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

function assertKind(actual: string, expected: string): void {
  if (actual !== expected) throw new Error(`expected a ${expected} checkout, got ${actual}`);
}

await main();
