// Runs test files as one node:test stream: unit tests (no outside system) in a few shared processes, then
// integration and e2e tests (real Redis, Docker Engine, registry) a few files at a time, in a few processes that
// each run several files one after another, then the files that must have the stack to themselves one at a
// time. The report is what `node --test` prints (TAP when piped, spec on a terminal) with one plan and one
// summary for all groups, so a reader of `# pass N` / `# fail N` counts every test; before the summary, the
// slowest files and where the time went.
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
 * A test file that changes what its process shares with other files gets a process of its own: a write to the
 * environment or the working directory. Every other file shares a process with others (shardFiles): starting node
 * with tsx and the test support code costs more CPU than many files' tests.
 */
const OWN_PROCESS = /process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|delete process\.env|process\.chdir\(/m;
/**
 * Integration and e2e files at once (SLIPWAY_TEST_CONCURRENCY, default one more than the cores). Each file has a
 * stack of its own (its own key prefix, data folder, API and worker ports) on the one Redis, Engine and registry,
 * and spends part of its time waiting on them (a timer's next minute, a build's sleep): one file more than the
 * cores keeps them busy through those waits. A file whose tests change what every file
 * shares (Redis's memory, the Engine itself) says so with a line `// test-run: alone` and runs after the
 * others, by itself.
 */
const INTEGRATION_CONCURRENCY = Math.max(1, Number(process.env.SLIPWAY_TEST_CONCURRENCY ?? os.availableParallelism() + 1) || 1);
const ALONE = /^\/\/ test-run: alone\b/m;
/**
 * Folders whose files share shard processes in the integration group. test/faults and test/hosts stop Redis and kill
 * Engines: one file per process there.
 */
const SHARED_DIRS = ['test/integration', 'test/e2e'];
/**
 * Integration shards for each of those lanes: the shards start longest first, each when a lane frees, so a few
 * more shards than lanes even out what the expected times got wrong, for one process start each.
 */
const SHARDS_PER_LANE = 3;
/**
 * The seconds of each integration and e2e file, which the shards are balanced by: what this checkout's last runs
 * measured (test-output/, not tracked), else the seed committed in test/ (copy the first over the second to
 * update it). Runs never rewrite a tracked file: a test run leaves the checkout as it found it.
 */
const DURATIONS_FILE = path.join(ROOT, 'test-output/durations.json');
const DURATIONS_SEED = path.join(ROOT, 'test/durations.json');
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
 * Where each shard module goes, inside the package so that the packages its files import resolve as they do from
 * the files; the runner removes the folder when it is done.
 */
await fs.mkdir(path.join(ROOT, 'test-output'), { recursive: true });
const SHARD_DIR = await fs.mkdtemp(path.join(ROOT, 'test-output/shards-'));
/** A module's static imports (`import type` erased, so left out). */
const STATIC_IMPORT = /^import\s+(?!type\s)(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/gm;
/** Shard module → the files its suites run, by suite name (the file's path from ROOT). */
const shardSuites = new Map<string, Map<string, string>>();

/** Splits weighted files into `count` lists of near-equal weight: heaviest first, each onto the lightest list. */
function spread(files: readonly { file: string; weight: number }[], count: number): { files: string[]; weight: number }[] {
  const lists = Array.from({ length: Math.min(count, files.length) }, () => ({ files: [] as string[], weight: 0 }));
  for (const f of [...files].sort((a, b) => b.weight - a.weight)) {
    const lightest = lists.reduce((a, b) => (b.weight < a.weight ? b : a));
    lightest.files.push(f.file);
    lightest.weight += f.weight;
  }
  return lists;
}

/**
 * A module that runs `files` one after another, each as a suite named by its path that imports it. node:test
 * attaches what a module registers to the suite whose callback imports it, top-level hooks included: so a file's
 * `after` hooks close its stack before the next file starts, its `beforeEach` hooks wrap its own tests only, and a
 * file that hangs fails by its own name when the suite's per-file timeout ends it. That holds only while a file's
 * import waits on nothing another file's import is loading (it would then run in that file's suite), so the
 * module loads every file's own imports first. The runner checks the result (strayTests).
 */
async function writeShard(name: string, files: readonly string[]): Promise<string> {
  // .mts: an ES module wherever it is written, as the test files are in this package.
  const entry = path.join(SHARD_DIR, `${name}.test.mts`);
  const suites = new Map(files.map((f) => [path.relative(ROOT, f), f]));
  const first = new Set<string>();
  for (const f of files) {
    for (const [, spec] of (await fs.readFile(f, 'utf8')).matchAll(STATIC_IMPORT)) first.add(spec!.startsWith('.') ? new URL(spec!, pathToFileURL(f)).href : spec!);
  }
  const loads = [...first].map((spec) => `await import(${JSON.stringify(spec)});\n`);
  const lines = [...suites].map(([suite, f]) => `describe(${JSON.stringify(suite)}, { timeout: ${TIMEOUT_MS} }, async () => {\n  await import(${JSON.stringify(pathToFileURL(f).href)});\n});\n`);
  await fs.writeFile(entry, `import { describe } from 'node:test';\n${loads.join('')}${lines.join('')}`);
  shardSuites.set(entry, suites);
  return entry;
}

/**
 * What node:test runs for `files`: those that may share a process in `count` shard modules balanced by `weight`,
 * the others as they are; heaviest first, so the lanes that take them in turn finish close together.
 */
async function shardFiles(label: string, files: readonly string[], count: number, weight: (file: string, text: string) => number): Promise<Pick<Group, 'entries' | 'timeoutMs'>> {
  const shared: { file: string; weight: number }[] = [];
  const planned: { entry: string; weight: number }[] = [];
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8');
    if (OWN_PROCESS.test(text)) planned.push({ entry: file, weight: weight(file, text) });
    else shared.push({ file, weight: weight(file, text) });
  }
  const shards = spread(shared, count);
  for (const [i, shard] of shards.entries()) planned.push({ entry: await writeShard(`${label}-${i + 1}`, shard.files.sort()), weight: shard.weight });
  return { entries: planned.sort((a, b) => b.weight - a.weight).map((p) => p.entry), timeoutMs: TIMEOUT_MS * Math.max(1, ...shards.map((s) => s.files.length)) };
}

/** Seconds per file (path from ROOT) as the last run measured them; none before any run. */
async function knownDurations(): Promise<Record<string, number>> {
  const text = await fs.readFile(DURATIONS_FILE, 'utf8').catch(() => fs.readFile(DURATIONS_SEED, 'utf8')).catch(() => '{}');
  return JSON.parse(text) as Record<string, number>;
}

/**
 * Records the seconds measured for integration and e2e files. A time within half again of the known one stays as
 * it is, so a run on a busier machine does not rewrite the file for nothing; files gone from disk are dropped.
 */
async function recordDurations(known: Record<string, number>, measured: readonly { file: string; ms: number }[]): Promise<void> {
  const next: Record<string, number> = {};
  for (const [file, s] of Object.entries(known)) if (await fs.stat(path.join(ROOT, file)).catch(() => undefined)) next[file] = s;
  for (const { file, ms } of measured) {
    if (!SHARED_DIRS.some((dir) => file.startsWith(dir + path.sep))) continue;
    const s = Math.max(1, Math.round(ms / 1000));
    const old = next[file];
    if (old === undefined || (Math.abs(s - old) > 2 && (s > old * 1.5 || s * 1.5 < old))) next[file] = s;
  }
  const sorted = Object.fromEntries(Object.entries(next).sort(([a], [b]) => a.localeCompare(b)));
  const text = `${JSON.stringify(sorted, null, 2)}\n`;
  if (text === (await fs.readFile(DURATIONS_FILE, 'utf8').catch(() => ''))) return;
  await fs.mkdir(path.dirname(DURATIONS_FILE), { recursive: true });
  await fs.writeFile(DURATIONS_FILE, text);
}

async function groupsOf(files: readonly string[], known: Record<string, number>): Promise<Group[]> {
  const unit = files.filter((f) => f.startsWith(UNIT_DIR + path.sep));
  const rest = files.filter((f) => !unit.includes(f));
  const alone: string[] = [];
  for (const file of rest) if (ALONE.test(await fs.readFile(file, 'utf8'))) alone.push(file);
  const together = rest.filter((f) => !alone.includes(f));
  const sharable = together.filter((f) => SHARED_DIRS.some((dir) => f.startsWith(path.join(ROOT, dir) + path.sep)));
  // A file not timed yet weighs what the timed files weigh per byte of source.
  const timed = sharable.filter((f) => known[path.relative(ROOT, f)] !== undefined);
  const sizes = new Map(await Promise.all(sharable.map(async (f) => [f, (await fs.stat(f)).size] as const)));
  const perByte = timed.length ? timed.reduce((s, f) => s + known[path.relative(ROOT, f)]!, 0) / timed.reduce((s, f) => s + sizes.get(f)!, 0) : 1;
  const integration = await shardFiles('integration', sharable, INTEGRATION_CONCURRENCY * SHARDS_PER_LANE, (f) => known[path.relative(ROOT, f)] ?? sizes.get(f)! * perByte);
  const oneEach = together.filter((f) => !sharable.includes(f));
  return [
    { name: 'unit', files: unit, concurrency: UNIT_CONCURRENCY, ...(await shardFiles('unit', unit, UNIT_CONCURRENCY, (_, text) => text.length)) },
    {
      name: 'integration and e2e',
      files: together,
      concurrency: INTEGRATION_CONCURRENCY,
      entries: [...integration.entries, ...oneEach],
      timeoutMs: Math.max(integration.timeoutMs, TIMEOUT_MS),
    },
    { name: 'integration files that run alone', files: alone, concurrency: 1, entries: alone, timeoutMs: TIMEOUT_MS },
  ].filter((g) => g.files.length > 0);
}

/** The sharded test files, whose tests must report inside their own file's suite. */
const sharded = () => new Set([...shardSuites.values()].flatMap((suites) => [...suites.values()]));
/** Files of the tests a file's suite reported so far (a file's results arrive together, children before parents). */
let reported = new Set<string>();

/**
 * Given each test result in the order node:test reports them, the tests that ran outside their own file's suite:
 * at the top level of a shard, or inside another file's suite.
 */
function strayTests(nesting: number, file: string, name: string): string[] {
  if (nesting === 1) reported.add(file);
  if (nesting !== 0) return [];
  const own = [...shardSuites.values()].find((suites) => suites.has(name))?.get(name);
  const strays = own ? [...reported].filter((f) => f !== own).map((f) => `${path.relative(ROOT, f)} in ${name}`) : sharded().has(file) ? [`${name} (${path.relative(ROOT, file)})`] : [];
  reported = new Set();
  return strays;
}

const diagnostic = (message: string): TestEvent => ({ type: 'test:diagnostic', data: { message, nesting: 0, file: undefined, line: undefined, column: undefined } as never });
const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(6)} s`;

/**
 * Every group's events in turn, top-level tests numbered on, each group's own summary held back for one at the
 * end. Each file's time (its process's, or its suite's in a shard) is added to `measured`.
 */
async function* events(groups: readonly Group[], measured: { file: string; ms: number }[]): AsyncGenerator<TestEvent> {
  const totals = new Map<string, number>();
  const walls: string[] = [];
  let numbered = 0;
  // The suites that stand for files in shards are not the files' own: the summary does not count them.
  let fileSuites = 0;
  const strays: string[] = [];
  const started = performance.now();
  for (const group of groups) {
    const groupStarted = performance.now();
    let topLevel = 0;
    let summary = false;
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
      if ((event.type === 'test:pass' || event.type === 'test:fail') && data?.file) strays.push(...strayTests(data.nesting ?? 0, data.file, data.name ?? ''));
      if (event.type === 'test:complete' && data?.nesting === 0 && data.file && data.name) {
        const suiteFile = shardSuites.get(data.file)?.get(data.name);
        if (suiteFile) fileSuites++;
        const file = suiteFile ?? (data.name === data.file ? data.file : undefined);
        if (file && group.files.includes(file)) measured.push({ file: path.relative(ROOT, file), ms: data.details?.duration_ms ?? 0 });
      }
      if (data?.nesting === 0 && typeof data.testNumber === 'number') {
        topLevel = Math.max(topLevel, data.testNumber);
        data.testNumber += numbered;
      }
      yield event;
    }
    numbered += topLevel;
    const inGroup = measured.filter((f) => group.files.includes(path.join(ROOT, f.file)));
    const how = group.entries === group.files ? `${group.concurrency} at a time` : `in ${group.entries.length} processes, ${group.concurrency} at a time`;
    walls.push(`${group.name}: ${group.files.length} file${group.files.length === 1 ? '' : 's'}, ${how}, in${seconds(performance.now() - groupStarted)} (files' own time added up:${seconds(inGroup.reduce((s, f) => s + f.ms, 0))})`);
  }
  totals.set('suites', (totals.get('suites') ?? 0) - fileSuites);
  for (const line of walls) yield diagnostic(line);
  for (const stray of strays) yield diagnostic(`not in its own file's suite, so its hooks and time went to another file's: ${stray}`);
  yield diagnostic(`slowest files:`);
  for (const f of [...measured].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST)) yield diagnostic(`${seconds(f.ms)}  ${f.file}`);
  yield { type: 'test:plan', data: { nesting: 0, count: numbered } as never };
  for (const key of ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo']) yield diagnostic(`${key} ${totals.get(key) ?? 0}`);
  yield diagnostic(`duration_ms ${(performance.now() - started).toFixed(3)}`);
  process.exitCode = (totals.get('fail') ?? 0) + (totals.get('cancelled') ?? 0) + strays.length > 0 ? 1 : 0;
}

try {
  const files = await testFiles(process.argv.slice(2));
  if (files.length === 0) throw new Error('no test files found');
  const known = await knownDurations();
  const measured: { file: string; ms: number }[] = [];
  const stream = events(await groupsOf(files, known), measured);
  // As `node --test` chooses: spec for a person at a terminal, TAP for anything reading the output.
  if (process.stdout.isTTY) await pipeline(Readable.from(stream), new spec(), process.stdout);
  else await pipeline(Readable.from(tap(stream)), process.stdout);
  await recordDurations(known, measured);
} finally {
  await fs.rm(SHARD_DIR, { recursive: true, force: true });
}
