// Runs test files as one node:test stream: unit tests (no outside system) in a few shared processes, then
// integration and e2e tests (real Redis, Docker Engine, registry) a few files at a time, then the files that
// must have the stack to themselves one at a time. The report is what `node --test`
// prints (TAP when piped, spec on a terminal) with one plan and one summary for both groups, so a reader
// of `# pass N` / `# fail N` counts every test; before the summary, the slowest files and where the time went.
//   node --import tsx scripts/test-run.ts [FILE|DIR...]   (default: test/unit, test/integration, test/e2e)
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { run } from 'node:test';
import { spec, tap, type TestEvent } from 'node:test/reporters';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const UNIT_DIR = path.join(ROOT, 'test/unit');
/** Per test file; a build under emulation on a busy machine takes minutes. */
const TIMEOUT_MS = 300_000;
/**
 * Unit test processes at once. Each mostly waits on its own child processes and sockets: more processes than
 * cores keeps both busy.
 */
const UNIT_CONCURRENCY = Math.max(2, os.availableParallelism()) * 2;
/**
 * A unit file that changes what its process shares with other files gets a process of its own: hooks at the
 * top level (beforeEach/afterEach would run around every other file's tests too), or a write to the environment
 * or the working directory. Every other unit file shares one of UNIT_CONCURRENCY processes: starting node with
 * tsx costs more CPU than most unit files' tests.
 */
const OWN_PROCESS = /^(beforeEach|afterEach)\(|process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|delete process\.env|process\.chdir\(/m;
/**
 * Integration and e2e files at once (SLIPWAY_TEST_CONCURRENCY, default 2). Each file has a stack of its own
 * (its own key prefix, data folder, API and worker ports) on the one Redis, Engine and registry, and spends much
 * of its time waiting on them, so two files overlap their waits. A file whose tests change what every file
 * shares (Redis's memory, the Engine itself) says so with a line `// test-run: alone` and runs after the
 * others, by itself.
 */
const INTEGRATION_CONCURRENCY = Math.max(1, Number(process.env.SLIPWAY_TEST_CONCURRENCY ?? 2) || 1);
const ALONE = /^\/\/ test-run: alone\b/m;
const SLOWEST = 10;
const SUMMARY = /^(tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/;

interface Group {
  name: string;
  files: string[];
  concurrency: number;
  /** What node:test runs for this group: the files, or shard files that each import several of them. */
  entries: string[];
  /** Per entry; a shard gets the per-file limit once for each of its files. */
  timeoutMs: number;
}

/** Test files named by the arguments (files, or folders searched for *.test.ts), sorted. */
async function testFiles(args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args.length ? args : ['test/unit', 'test/integration', 'test/e2e']) {
    const abs = path.resolve(arg);
    if ((await fs.stat(abs)).isDirectory()) {
      for (const entry of await fs.readdir(abs, { recursive: true })) if (entry.endsWith('.test.ts')) files.push(path.join(abs, entry));
    } else files.push(abs);
  }
  return [...new Set(files)].sort();
}

/**
 * Unit files that may share a process, in UNIT_CONCURRENCY shard modules (each imports its files, largest first
 * spread over the shards so their sizes even out); the rest as they are. Returns what to run, and a cleanup.
 */
async function shardUnitFiles(files: readonly string[]): Promise<{ entries: string[]; timeoutMs: number; remove: () => Promise<void> }> {
  const shared: { file: string; size: number }[] = [];
  const alone: string[] = [];
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8');
    if (OWN_PROCESS.test(text)) alone.push(file);
    else shared.push({ file, size: text.length });
  }
  const shards: { files: string[]; size: number }[] = Array.from({ length: Math.min(UNIT_CONCURRENCY, shared.length) }, () => ({ files: [], size: 0 }));
  for (const f of shared.sort((a, b) => b.size - a.size)) {
    const smallest = shards.reduce((a, b) => (b.size < a.size ? b : a));
    smallest.files.push(f.file);
    smallest.size += f.size;
  }
  // .mts: an ES module wherever it is written, as the test files are in this package.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-unit-shards-'));
  const entries = [...alone];
  for (const [i, shard] of shards.entries()) {
    const entry = path.join(dir, `shard-${i + 1}.test.mts`);
    await fs.writeFile(entry, shard.files.sort().map((f) => `import ${JSON.stringify(pathToFileURL(f).href)};\n`).join(''));
    entries.push(entry);
  }
  const timeoutMs = TIMEOUT_MS * Math.max(1, ...shards.map((s) => s.files.length));
  return { entries, timeoutMs, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

async function groupsOf(files: readonly string[], shards: { entries: string[]; timeoutMs: number }): Promise<Group[]> {
  const unit = files.filter((f) => f.startsWith(UNIT_DIR + path.sep));
  const rest = files.filter((f) => !unit.includes(f));
  const alone: string[] = [];
  for (const file of rest) if (ALONE.test(await fs.readFile(file, 'utf8'))) alone.push(file);
  const together = rest.filter((f) => !alone.includes(f));
  return [
    { name: 'unit', files: unit, concurrency: UNIT_CONCURRENCY, ...shards },
    { name: 'integration and e2e', files: together, concurrency: INTEGRATION_CONCURRENCY, entries: together, timeoutMs: TIMEOUT_MS },
    { name: 'integration files that run alone', files: alone, concurrency: 1, entries: alone, timeoutMs: TIMEOUT_MS },
  ].filter((g) => g.files.length > 0);
}

const diagnostic = (message: string): TestEvent => ({ type: 'test:diagnostic', data: { message, nesting: 0, file: undefined, line: undefined, column: undefined } as never });
const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(6)} s`;

/** Every group's events in turn, top-level tests numbered on, each group's own summary held back for one at the end. */
async function* events(groups: readonly Group[]): AsyncGenerator<TestEvent> {
  const totals = new Map<string, number>();
  const files: { file: string; ms: number }[] = [];
  const walls: string[] = [];
  let numbered = 0;
  const started = performance.now();
  for (const group of groups) {
    const groupStarted = performance.now();
    let topLevel = 0;
    let summary = false;
    // A shard's own time is its files' put together; each file's is the sum of its top-level tests.
    const shardFiles = new Map<string, number>();
    for await (const event of run({ files: group.entries, concurrency: group.concurrency, timeout: group.timeoutMs }) as AsyncIterable<TestEvent>) {
      const data = event.data as { nesting?: number; file?: string; name?: string; testNumber?: number; message?: string; details?: { duration_ms?: number } } | undefined;
      const root = data?.nesting === 0 && data.file === undefined;
      // The runner ends each run with a plan and its counts: summed below, not printed per group.
      if (event.type === 'test:plan' && root) {
        summary = true;
        continue;
      }
      if (summary && event.type === 'test:diagnostic' && root) {
        const m = SUMMARY.exec(data.message ?? '');
        if (m) totals.set(m[1]!, (totals.get(m[1]!) ?? 0) + Number(m[2]));
        continue;
      }
      if (event.type === 'test:complete' && data?.nesting === 0 && data.file) {
        const ms = data.details?.duration_ms ?? 0;
        if (data.name === data.file) {
          if (group.files.includes(data.file)) files.push({ file: path.relative(ROOT, data.file), ms });
        } else if (!group.entries.includes(data.file) && group.files.includes(data.file)) {
          shardFiles.set(data.file, (shardFiles.get(data.file) ?? 0) + ms);
        }
      }
      if (data?.nesting === 0 && typeof data.testNumber === 'number') {
        topLevel = Math.max(topLevel, data.testNumber);
        data.testNumber += numbered;
      }
      yield event;
    }
    numbered += topLevel;
    for (const [file, ms] of shardFiles) files.push({ file: path.relative(ROOT, file), ms });
    const inGroup = files.filter((f) => group.files.includes(path.join(ROOT, f.file)));
    const how = group.entries === group.files ? `${group.concurrency} at a time` : `in ${group.entries.length} processes, ${group.concurrency} at a time`;
    walls.push(`${group.name}: ${group.files.length} file${group.files.length === 1 ? '' : 's'}, ${how}, in${seconds(performance.now() - groupStarted)} (files' own time added up:${seconds(inGroup.reduce((s, f) => s + f.ms, 0))})`);
  }
  for (const line of walls) yield diagnostic(line);
  yield diagnostic(`slowest files:`);
  for (const f of [...files].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST)) yield diagnostic(`${seconds(f.ms)}  ${f.file}`);
  yield { type: 'test:plan', data: { nesting: 0, count: numbered } as never };
  for (const key of ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo']) yield diagnostic(`${key} ${totals.get(key) ?? 0}`);
  yield diagnostic(`duration_ms ${(performance.now() - started).toFixed(3)}`);
  process.exitCode = (totals.get('fail') ?? 0) + (totals.get('cancelled') ?? 0) > 0 ? 1 : 0;
}

const files = await testFiles(process.argv.slice(2));
if (files.length === 0) throw new Error('no test files found');
const shards = await shardUnitFiles(files.filter((f) => f.startsWith(UNIT_DIR + path.sep)));
try {
  const stream = events(await groupsOf(files, shards));
  // As `node --test` chooses: spec for a person at a terminal, TAP for anything reading the output.
  if (process.stdout.isTTY) await pipeline(Readable.from(stream), new spec(), process.stdout);
  else await pipeline(Readable.from(tap(stream)), process.stdout);
} finally {
  await shards.remove();
}
