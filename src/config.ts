// The only reader of environment variables. Every setting is typed, validated once at start,
// and documented here with its default; the rest of the code receives a Config.
import os from 'node:os';
import path from 'node:path';
import * as z from './zod-mini.js';
import type { RegistryHostPolicy } from './registry/host-policy.js';
import type { RegistryTlsSettings } from './registry/tls.js';

/** What the CLI reads: built alone, so a `slipway` start does not build the whole server schema. */
const cliFields = () => ({
  /** The API the CLI talks to. */
  SLIPWAY_SERVER: z._default(z.url(), 'http://127.0.0.1:8080'),
  /** Where the CLI keeps what it remembers between builds (which context digest a folder's file stats stand for). Default $XDG_CACHE_HOME/slipway, else ~/.cache/slipway. */
  SLIPWAY_CACHE_DIR: z.optional(z.string()),
  XDG_CACHE_HOME: z.optional(z.string()),
  /** The API token the CLI sends; overrides the one `slipway login` saved. */
  SLIPWAY_TOKEN: z.optional(z.string()),
  /** `slipway login` saves the server and token in $XDG_CONFIG_HOME/slipway/config.json, else ~/.config/slipway/config.json. */
  XDG_CONFIG_HOME: z.optional(z.string()),
  /** The CLI's proxies, as curl reads them (the lower-case spelling wins): https servers through HTTPS_PROXY's CONNECT tunnel, http through HTTP_PROXY; NO_PROXY hosts directly. */
  https_proxy: z.optional(z.string()),
  HTTPS_PROXY: z.optional(z.string()),
  http_proxy: z.optional(z.string()),
  HTTP_PROXY: z.optional(z.string()),
  no_proxy: z.optional(z.string()),
  NO_PROXY: z.optional(z.string()),
  /** Any value but empty: no colours in the CLI's terminal view (no-color.org). */
  NO_COLOR: z.optional(z.string()),
});

const buildSchema = () => {
  const bool = z.pipe(z.enum(['0', '1', 'true', 'false']), z.transform((v: '0' | '1' | 'true' | 'false') => v === '1' || v === 'true'));
  const int = (min: number, max: number) => z.pipe(z.coerce.number(), z.int().check(z.minimum(min), z.maximum(max)));
  return z.object({
    /** Where the API listens. */
    SLIPWAY_API_HOST: z._default(z.string(), '127.0.0.1'),
    SLIPWAY_API_PORT: z._default(int(0, 65535), 8080),
    /** Serve HTTPS with this certificate chain and key (PEM files), both or neither; else plain HTTP (put a TLS proxy in front). */
    SLIPWAY_TLS_CERT_FILE: z.optional(z.string()),
    SLIPWAY_TLS_KEY_FILE: z.optional(z.string()),
    /** The platforms GET /v1/ready requires a live worker for. */
    SLIPWAY_READY_PLATFORMS: z._default(z.string(), 'linux/amd64'),
    ...cliFields(),
    /** Redis holding queues, run records and logs. */
    SLIPWAY_REDIS_URL: z._default(z.string(), 'redis://127.0.0.1:6379'),
    /** Prefix of every Redis key and BullMQ queue, so several installations (or tests) share one Redis. */
    SLIPWAY_PREFIX: z._default(z.string().check(z.regex(/^[a-z0-9-]+$/)), 'slipway'),
    /** Project data: context blobs, workspaces. */
    SLIPWAY_DATA_DIR: z._default(z.string(), path.resolve('.data')),
    /** The key that seals secret values in queued jobs (base64, 32 bytes); when unset, the key file below is used. */
    SLIPWAY_SECRET_KEY: z.optional(z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/, 'expected a base64 key of 32 bytes (head -c 32 /dev/urandom | base64)'))),
    /** The key file (one base64 key a line: the first seals, all open); the API creates it, mode 0600, when missing. Default $SLIPWAY_DATA_DIR/secret.key. */
    SLIPWAY_SECRET_KEY_FILE: z.optional(z.string()),
    /** Registry that image names without a registry go to (ACR's $Registry). */
    SLIPWAY_REGISTRY: z._default(z.string(), '127.0.0.1:5000'),
    /**
     * Where uploaded build contexts are kept: `local`, a directory of the API's host (workers on that host read
     * it); or `registry`, blobs in SLIPWAY_CONTEXT_REPOSITORY, which every API instance and worker reaches.
     */
    SLIPWAY_CONTEXT_STORE: z._default(z.enum(['local', 'registry']), 'local'),
    /** The repository context blobs go to with SLIPWAY_CONTEXT_STORE=registry; without a host, on SLIPWAY_REGISTRY. */
    SLIPWAY_CONTEXT_REPOSITORY: z._default(z.string(), 'slipway/contexts'),
    /** Where the worker finds the kernel's binfmt handlers (QEMU), e.g. the host's mounted into its container. */
    SLIPWAY_BINFMT_DIR: z._default(z.string(), '/proc/sys/fs/binfmt_misc'),
    /** Docker Engine socket the worker builds through. */
    SLIPWAY_DOCKER_SOCKET: z._default(z.string(), '/var/run/docker.sock'),
    /** Largest accepted build context (gzipped bytes). */
    SLIPWAY_MAX_CONTEXT_BYTES: z._default(int(1, Number.MAX_SAFE_INTEGER), 2 * 1024 ** 3),
    /** Largest unpacked build context (bytes) and entry count, against gzip bombs. */
    SLIPWAY_MAX_UNPACKED_BYTES: z._default(int(1, Number.MAX_SAFE_INTEGER), 16 * 1024 ** 3),
    SLIPWAY_MAX_CONTEXT_ENTRIES: z._default(int(1, 10_000_000), 1_000_000),
    /** Git sources: time one checkout may take, and the largest mirror a worker keeps. */
    SLIPWAY_GIT_TIMEOUT_SECONDS: z._default(int(1, 86_400), 600),
    SLIPWAY_GIT_MAX_REPO_BYTES: z._default(int(1, Number.MAX_SAFE_INTEGER), 4 * 1024 ** 3),
    /** Log lines kept per run; older lines are dropped past it. */
    SLIPWAY_LOG_MAX_LINES: z._default(int(100, 10_000_000), 100_000),
    /** Live log streams (GET …/logs?follow=1) one token, or one address without a token, may hold at once. */
    SLIPWAY_LOG_FOLLOWERS_PER_CLIENT: z._default(int(1, 100_000), 20),
    /** Bytes of log lines a run keeps in all; later output is left out, with a line saying so. */
    SLIPWAY_LOG_MAX_BYTES: z._default(int(64 * 1024, Number.MAX_SAFE_INTEGER), 64 * 1024 * 1024),
    /** Default and largest run timeout. */
    SLIPWAY_DEFAULT_TIMEOUT_SECONDS: z._default(int(1, 86_400), 3600),
    SLIPWAY_MAX_TIMEOUT_SECONDS: z._default(int(1, 86_400), 28_800),
    /** How long a run may wait for a worker that serves its platform before it fails. */
    SLIPWAY_QUEUE_TIMEOUT_SECONDS: z._default(int(1, 7 * 86_400), 3600),
    /** Uploaded contexts unused (not uploaded, asked for or submitted) this long are deleted, unless a queued or running run needs them. */
    SLIPWAY_CONTEXT_TTL_HOURS: z._default(int(1, 24 * 365), 24),
    /** Finished runs (record and log) are deleted this many days after they ended; queued and running runs never are. */
    SLIPWAY_RUN_RETENTION_DAYS: z._default(int(1, 3650), 30),
    /** New runs are refused (503) once Redis uses this share of its maxmemory (no limit set: never). */
    SLIPWAY_REDIS_MEMORY_HIGH_PERCENT: z._default(int(1, 100), 90),
    /** Where a worker serves GET /metrics (Prometheus); unset: no metrics server. Several workers on one host need a port each. */
    SLIPWAY_WORKER_METRICS_PORT: z.optional(int(1, 65535)),
    SLIPWAY_WORKER_METRICS_HOST: z._default(z.string(), '127.0.0.1'),
    /** Set by a worker for the build processes it forks, not by operators: where they report their metrics to it. */
    SLIPWAY_WORKER_METRICS_SOCKET: z.optional(z.string()),
    /**
     * The janitor each worker runs on its host, at start and every interval: the Engine's build cache is pruned
     * down to its budget once over it (least recently used first), the git mirrors are evicted least recently
     * used first down to theirs, and the containers, networks and run-scoped images of ended runs are removed.
     */
    SLIPWAY_JANITOR_BUILD_CACHE_BYTES: z._default(int(0, Number.MAX_SAFE_INTEGER), 20 * 1024 ** 3),
    SLIPWAY_JANITOR_MIRROR_BYTES: z._default(int(0, Number.MAX_SAFE_INTEGER), 10 * 1024 ** 3),
    SLIPWAY_JANITOR_INTERVAL_SECONDS: z._default(int(1, 7 * 86_400), 600),
    /** An image this deployment pulled for cmd steps is removed from the Engine once no step used it for this long. */
    SLIPWAY_JANITOR_STEP_IMAGE_MAX_AGE_SECONDS: z._default(int(1, 365 * 86_400), 3 * 86_400),
    /** Concurrent jobs per worker process. */
    SLIPWAY_WORKER_CONCURRENCY: z._default(int(1, 64), 1),
    /**
     * Cache affinity: how long a task's run may wait in the queue of the worker that built the task last (chosen
     * only while that worker is live with a free slot) before it moves to the shared queue; 0 turns it off.
     */
    SLIPWAY_CACHE_AFFINITY_WAIT_MS: z._default(int(0, 60_000), 2_000),
    /** Times a run is built again, once the Docker Engine answers again, after the Engine went away mid-build (0: it ends `error`). */
    SLIPWAY_ENGINE_LOST_RETRIES: z._default(int(0, 3), 1),
    /** Where the API writes the first admin token when no token exists yet (mode 0600). Default DATA_DIR/admin-token. */
    SLIPWAY_BOOTSTRAP_TOKEN_FILE: z.optional(z.string()),
    /** Requests with a missing or bad token allowed per client address per minute, across API instances; past it, 429. */
    SLIPWAY_AUTH_FAILURES_PER_MINUTE: z._default(int(1, 1_000_000), 30),
    /** Keep verified token records in the API's memory while it hears every token change from Redis (see src/auth/change-feed.ts); 0: read Redis on every request. */
    SLIPWAY_TOKEN_CACHE: z._default(bool, true),
    /** Token the registry's notifications carry (Authorization: Bearer …); unset, notifications are refused. `npm run up` sets the one scripts/stack.sh made. */
    SLIPWAY_REGISTRY_NOTIFY_TOKEN: z._default(z.string(), ''),
    /** Base-image polling: seconds between checks of a registry's base images (with ±10% jitter), and per-registry overrides `host=seconds,…`. */
    SLIPWAY_POLL_INTERVAL_SECONDS: z._default(int(1, 7 * 86_400), 300),
    SLIPWAY_POLL_INTERVALS: z._default(z.string(), ''),
    /** Registries whose notifications reach the API, comma-separated: they are not polled. */
    SLIPWAY_NOTIFYING_REGISTRIES: z._default(z.string(), ''),
    /**
     * Repositories whose images go to quarantine, comma-separated patterns as token scopes take them
     * (`*` is any run of characters; no host means the default registry's): runs pushing there push by digest
     * and the tag moves only when a scanner approves. Tasks can also be set to quarantine one by one.
     */
    SLIPWAY_QUARANTINE_REPOSITORIES: z._default(z.string(), ''),
    /** Base-image rebuild runs queued or running at once, and their queue priority (commit and manual runs have none, so go first). */
    SLIPWAY_REBUILD_CONCURRENCY: z._default(int(1, 1000), 2),
    SLIPWAY_REBUILD_PRIORITY: z._default(int(1, 2_097_152), 1000),
    /** A rebuild dispatch that has not linked its run after this long was lost with its API instance, and is dispatched again (linking the run it made, if any). */
    SLIPWAY_REBUILD_LOST_DISPATCH_SECONDS: z._default(int(1, 86_400), 300),
    SLIPWAY_LOG_LEVEL: z._default(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
    /** Git URL policy for task contexts: plain http/git://, loopback and private hosts, file:// (tests allow them). */
    SLIPWAY_GIT_ALLOW_INSECURE: z._default(bool, false),
    SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: z._default(bool, false),
    SLIPWAY_GIT_ALLOW_FILE: z._default(bool, false),
    /** Registries on loopback, private and link-local addresses (other than SLIPWAY_REGISTRY), for notifications, polling and bases. */
    SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS: z._default(bool, false),
    /** Registry TLS: a PEM bundle of CAs trusted for every registry, beside the system's roots. */
    SLIPWAY_REGISTRY_CA_FILE: z.optional(z.string()),
    /** Docker's per-registry CAs, DIR/<host[:port]>/*.crt (read per request); a registry with one is reached over HTTPS, loopback included. */
    SLIPWAY_REGISTRY_CERTS_DIR: z._default(z.string(), '/etc/docker/certs.d'),
    /** Registries reached over plain HTTP besides loopback, comma-separated host[:port] (a bare host: every port). */
    SLIPWAY_INSECURE_REGISTRIES: z._default(z.string(), ''),
    /** Outbound webhooks (slipway hook): send to loopback, private and link-local hosts too (tests, receivers on the private network). */
    SLIPWAY_HOOK_ALLOW_PRIVATE_HOSTS: z._default(bool, false),
    /** Outbound webhooks: the delay before a failed delivery's first retry; each later one doubles it (14 attempts: ~23 h at 10 s). */
    SLIPWAY_HOOK_FIRST_RETRY_MS: z._default(int(100, 3_600_000), 10_000),
    /** GitHub webhook secrets, comma-separated: the current one first, the previous one while rotating. */
    SLIPWAY_GITHUB_WEBHOOK_SECRETS: z._default(z.string(), ''),
    /** Bearer tokens accepted by the generic git webhook, comma-separated. */
    SLIPWAY_GIT_WEBHOOK_TOKENS: z._default(z.string(), ''),
    /** Where child processes (git) find their programs. */
    PATH: z._default(z.string(), '/usr/local/bin:/usr/bin:/bin'),
    /** Pretty, human log lines instead of JSON. */
    SLIPWAY_LOG_PRETTY: z._default(bool, false),
    /** Task files: privileged cmd steps, the host network and networks the run did not create (off: a build host shares its kernel). */
    SLIPWAY_TASK_ALLOW_PRIVILEGED: z._default(bool, false),
    /** Task files: what one cmd step container may use (memory in MiB, CPUs, processes), and how many containers a run may hold at once. */
    SLIPWAY_STEP_MEMORY_MIB: z._default(int(6, 1024 * 1024), 2048),
    SLIPWAY_STEP_CPUS: z._default(int(1, 1024), 2),
    SLIPWAY_STEP_PIDS: z._default(int(8, 4_194_304), 1024),
    SLIPWAY_STEP_CONTAINERS_PER_RUN: z._default(int(1, 1000), 16),
    /**
     * Task files: the most a cmd step may ask for with docker run --memory, --cpus, --pids-limit (more is refused when the
     * run is submitted, and by the worker). Defaults: 8192 MiB, the host's CPUs, 32768 processes, or the default limit above if higher.
     */
    SLIPWAY_STEP_MAX_MEMORY_MIB: z.optional(int(6, 1024 * 1024)),
    SLIPWAY_STEP_MAX_CPUS: z.optional(z.pipe(z.coerce.number(), z.number().check(z.minimum(0.01), z.maximum(1024)))),
    SLIPWAY_STEP_MAX_PIDS: z.optional(int(8, 4_194_304)),
    /** Task files: images a cmd step may name by a bare word, comma-separated NAME=IMAGE, e.g. bash=127.0.0.1:5000/base/busybox:latest (ACR's bash, curl… point at mcr.microsoft.com). */
    SLIPWAY_TASK_IMAGE_ALIASES: z._default(
      z.string().check(z.regex(/^(\s*[A-Za-z0-9]+=[^,=\s]+\s*(,\s*[A-Za-z0-9]+=[^,=\s]+\s*)*)?$/, 'expected NAME=IMAGE pairs separated by commas')),
      '',
    ),
  });
};

let schema: ReturnType<typeof buildSchema> | undefined;
/** A build reads the CLI's settings twice (the server, then the cache folder): the schema is built once. */
let cliSchema: z.ZodMiniObject<ReturnType<typeof cliFields>> | undefined;

export type Env = z.input<ReturnType<typeof buildSchema>>;

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean);

export interface Config {
  api: { host: string; port: number; readyPlatforms: string[]; tls?: { certFile: string; keyFile: string } };
  server: string;
  cli: {
    cacheDir: string;
    /** Where `slipway login` keeps the server and token. */
    configFile: string;
    /** SLIPWAY_TOKEN, when set. */
    token?: string;
    /** Whether SLIPWAY_SERVER was set (else the login's server, then the default, is used). */
    serverFromEnv: boolean;
    proxy: { https?: string; http?: string; noProxy: string[] };
    noColor: boolean;
  };
  redisUrl: string;
  prefix: string;
  dataDir: string;
  contextsDir: string;
  contextStore: { kind: 'local' | 'registry'; repository: string };
  workspacesDir: string;
  gitCacheDir: string;
  /** Where the key that seals secret values in queued jobs comes from (src/secrets/key-file.ts). */
  secretKey: { key?: string; keyFile: string };
  defaultRegistry: string;
  dockerSocket: string;
  binfmtDir: string;
  limits: {
    contextBytes: number;
    unpackedBytes: number;
    contextEntries: number;
    redisMemoryHighPercent: number;
    contextTtlMs: number;
    runRetentionMs: number;
    logLines: number;
    logBytes: number;
    logFollowersPerClient: number;
    defaultTimeoutSeconds: number;
    maxTimeoutSeconds: number;
    queueTimeoutSeconds: number;
    gitTimeoutSeconds: number;
    gitMaxRepoBytes: number;
  };
  worker: { concurrency: number; cacheAffinityWaitMs: number; engineLostRetries: number; metrics?: { port: number; host: string }; metricsSocket?: string };
  /** The per-host disk budget the worker's janitor keeps (workers/janitor/). */
  janitor: JanitorSettings;
  registryNotifyToken: string;
  /** Repository patterns whose images wait in quarantine (SLIPWAY_QUARANTINE_REPOSITORIES). */
  quarantineRepositories: string[];
  auth: { bootstrapTokenFile: string; failuresPerMinute: number; tokenCache: boolean };
  rebuilds: { concurrency: number; priority: number; lostDispatchMs: number; pollIntervalMs: number; pollIntervals: Record<string, number>; notifyingRegistries: string[] };
  logLevel: string;
  git: { allowInsecure: boolean; allowPrivateHosts: boolean; allowFile: boolean };
  registryHosts: RegistryHostPolicy;
  registryTls: RegistryTlsSettings;
  hooks: { allowPrivateHosts: boolean; firstRetryMs: number };
  githubWebhookSecrets: string[];
  gitWebhookTokens: string[];
  searchPath: string;
  taskFiles: { allowPrivileged: boolean; imageAliases: Record<string, string>; stepLimits: StepLimits };
}

export interface JanitorSettings {
  buildCacheBytes: number;
  mirrorBytes: number;
  intervalMs: number;
  /** Pulled step images unused this long are removed; absent, they are kept. */
  stepImageMaxAgeMs?: number;
}

/** What each task-file cmd step container gets unless it asks otherwise, the most it may ask for, and how many containers a run may hold at once. */
export interface StepLimits {
  memoryBytes: number;
  cpus: number;
  pids: number;
  containersPerRun: number;
  maximum: { memoryBytes: number; cpus: number; pids: number };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function tls(certFile: string | undefined, keyFile: string | undefined): { tls?: { certFile: string; keyFile: string } } {
  if (!certFile && !keyFile) return {};
  if (!certFile || !keyFile) throw new ConfigError('invalid configuration: SLIPWAY_TLS_CERT_FILE and SLIPWAY_TLS_KEY_FILE go together: set both to serve HTTPS, or neither');
  return { tls: { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) } };
}

/** `host=seconds,…` → host → milliseconds. */
function pollIntervals(value: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of list(value)) {
    const m = /^([^=\s]+)=(\d{1,7})$/.exec(item);
    if (!m || Number(m[2]) < 1) throw new ConfigError(`invalid configuration: SLIPWAY_POLL_INTERVALS: ${JSON.stringify(item.slice(0, 100))} is not host=seconds (seconds ≥ 1)`);
    out[m[1]!] = Number(m[2]) * 1000;
  }
  return out;
}

/** $SLIPWAY_CACHE_DIR, else $XDG_CACHE_HOME/slipway (only an absolute one counts, as the XDG spec says), else ~/.cache/slipway. */
function cliCacheDir(explicit: string | undefined, xdg: string | undefined): string {
  if (explicit) return path.resolve(explicit);
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'slipway');
}

/** The variables `shape` names, from `overrides` or `env`, validated; every problem in one ConfigError. */
function parseEnv<S extends z.ZodMiniObject>(shape: S, overrides: Partial<Record<string, string>>, env: NodeJS.ProcessEnv): z.output<S> {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape.shape)) picked[key] = overrides[key] ?? env[key];
  const parsed = shape.safeParse(picked);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${issues}`);
  }
  return parsed.data;
}

/** What the CLI needs, read without the server's settings (an invalid one of those is not the CLI's concern). */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): Pick<Config, 'server' | 'cli'> {
  return cliConfig(parseEnv((cliSchema ??= z.object(cliFields())), {}, env), env);
}

/**
 * The CA file NODE_EXTRA_CA_CERTS named, when the `slipway` launcher set it aside as SLIPWAY_DEFERRED_CA_CERTS
 * (scripts/bundle-cli.ts) for the CLI to load at its first https connection; none when Node loaded it itself.
 */
export function deferredCaFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.NODE_EXTRA_CA_CERTS ? undefined : env.SLIPWAY_DEFERRED_CA_CERTS || undefined;
}

type CliEnv = z.output<z.ZodMiniObject<ReturnType<typeof cliFields>>>;

function cliConfig(e: CliEnv, env: NodeJS.ProcessEnv): Pick<Config, 'server' | 'cli'> {
  const xdgConfig = e.XDG_CONFIG_HOME && path.isAbsolute(e.XDG_CONFIG_HOME) ? e.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return {
    server: e.SLIPWAY_SERVER.replace(/\/+$/, ''),
    cli: {
      cacheDir: cliCacheDir(e.SLIPWAY_CACHE_DIR, e.XDG_CACHE_HOME),
      configFile: path.join(xdgConfig, 'slipway', 'config.json'),
      ...(e.SLIPWAY_TOKEN ? { token: e.SLIPWAY_TOKEN } : {}),
      serverFromEnv: Boolean(env.SLIPWAY_SERVER),
      proxy: {
        ...((e.https_proxy || e.HTTPS_PROXY) ? { https: e.https_proxy || e.HTTPS_PROXY } : {}),
        ...((e.http_proxy || e.HTTP_PROXY) ? { http: e.http_proxy || e.HTTP_PROXY } : {}),
        noProxy: list(e.no_proxy ?? e.NO_PROXY ?? ''),
      },
      noColor: Boolean(e.NO_COLOR),
    },
  };
}

/** Reads and validates the environment; `overrides` lets tests and tools set values without touching it. */
export function loadConfig(overrides: Partial<Record<keyof Env, string>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv((schema ??= buildSchema()), overrides, env);
  const dataDir = path.resolve(e.SLIPWAY_DATA_DIR);
  return {
    api: { host: e.SLIPWAY_API_HOST, port: e.SLIPWAY_API_PORT, readyPlatforms: list(e.SLIPWAY_READY_PLATFORMS), ...tls(e.SLIPWAY_TLS_CERT_FILE, e.SLIPWAY_TLS_KEY_FILE) },
    ...cliConfig(e, { ...env, ...overrides }),
    redisUrl: e.SLIPWAY_REDIS_URL,
    prefix: e.SLIPWAY_PREFIX,
    dataDir,
    contextsDir: path.join(dataDir, 'contexts'),
    contextStore: { kind: e.SLIPWAY_CONTEXT_STORE, repository: e.SLIPWAY_CONTEXT_REPOSITORY },
    workspacesDir: path.join(dataDir, 'workspaces'),
    gitCacheDir: path.join(dataDir, 'git'),
    secretKey: { ...(e.SLIPWAY_SECRET_KEY ? { key: e.SLIPWAY_SECRET_KEY } : {}), keyFile: path.resolve(e.SLIPWAY_SECRET_KEY_FILE ?? path.join(dataDir, 'secret.key')) },
    defaultRegistry: e.SLIPWAY_REGISTRY,
    dockerSocket: e.SLIPWAY_DOCKER_SOCKET,
    binfmtDir: e.SLIPWAY_BINFMT_DIR,
    limits: {
      contextBytes: e.SLIPWAY_MAX_CONTEXT_BYTES,
      unpackedBytes: e.SLIPWAY_MAX_UNPACKED_BYTES,
      contextEntries: e.SLIPWAY_MAX_CONTEXT_ENTRIES,
      redisMemoryHighPercent: e.SLIPWAY_REDIS_MEMORY_HIGH_PERCENT,
      contextTtlMs: e.SLIPWAY_CONTEXT_TTL_HOURS * 3600_000,
      runRetentionMs: e.SLIPWAY_RUN_RETENTION_DAYS * 86_400_000,
      logLines: e.SLIPWAY_LOG_MAX_LINES,
      logBytes: e.SLIPWAY_LOG_MAX_BYTES,
      logFollowersPerClient: e.SLIPWAY_LOG_FOLLOWERS_PER_CLIENT,
      defaultTimeoutSeconds: e.SLIPWAY_DEFAULT_TIMEOUT_SECONDS,
      maxTimeoutSeconds: e.SLIPWAY_MAX_TIMEOUT_SECONDS,
      queueTimeoutSeconds: e.SLIPWAY_QUEUE_TIMEOUT_SECONDS,
      gitTimeoutSeconds: e.SLIPWAY_GIT_TIMEOUT_SECONDS,
      gitMaxRepoBytes: e.SLIPWAY_GIT_MAX_REPO_BYTES,
    },
    worker: {
      concurrency: e.SLIPWAY_WORKER_CONCURRENCY,
      cacheAffinityWaitMs: e.SLIPWAY_CACHE_AFFINITY_WAIT_MS,
      engineLostRetries: e.SLIPWAY_ENGINE_LOST_RETRIES,
      ...(e.SLIPWAY_WORKER_METRICS_PORT ? { metrics: { port: e.SLIPWAY_WORKER_METRICS_PORT, host: e.SLIPWAY_WORKER_METRICS_HOST } } : {}),
      ...(e.SLIPWAY_WORKER_METRICS_SOCKET ? { metricsSocket: e.SLIPWAY_WORKER_METRICS_SOCKET } : {}),
    },
    janitor: { buildCacheBytes: e.SLIPWAY_JANITOR_BUILD_CACHE_BYTES, mirrorBytes: e.SLIPWAY_JANITOR_MIRROR_BYTES, intervalMs: e.SLIPWAY_JANITOR_INTERVAL_SECONDS * 1000, stepImageMaxAgeMs: e.SLIPWAY_JANITOR_STEP_IMAGE_MAX_AGE_SECONDS * 1000 },
    registryNotifyToken: e.SLIPWAY_REGISTRY_NOTIFY_TOKEN,
    quarantineRepositories: list(e.SLIPWAY_QUARANTINE_REPOSITORIES),
    auth: {
      bootstrapTokenFile: path.resolve(e.SLIPWAY_BOOTSTRAP_TOKEN_FILE ?? path.join(dataDir, 'admin-token')),
      failuresPerMinute: e.SLIPWAY_AUTH_FAILURES_PER_MINUTE,
      tokenCache: e.SLIPWAY_TOKEN_CACHE,
    },
    rebuilds: {
      concurrency: e.SLIPWAY_REBUILD_CONCURRENCY,
      priority: e.SLIPWAY_REBUILD_PRIORITY,
      lostDispatchMs: e.SLIPWAY_REBUILD_LOST_DISPATCH_SECONDS * 1000,
      pollIntervalMs: e.SLIPWAY_POLL_INTERVAL_SECONDS * 1000,
      pollIntervals: pollIntervals(e.SLIPWAY_POLL_INTERVALS),
      notifyingRegistries: list(e.SLIPWAY_NOTIFYING_REGISTRIES),
    },
    logLevel: e.SLIPWAY_LOG_LEVEL,
    git: { allowInsecure: e.SLIPWAY_GIT_ALLOW_INSECURE, allowPrivateHosts: e.SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS, allowFile: e.SLIPWAY_GIT_ALLOW_FILE },
    registryHosts: { allowPrivateHosts: e.SLIPWAY_REGISTRY_ALLOW_PRIVATE_HOSTS, trusted: [e.SLIPWAY_REGISTRY] },
    registryTls: {
      ...(e.SLIPWAY_REGISTRY_CA_FILE ? { caFile: path.resolve(e.SLIPWAY_REGISTRY_CA_FILE) } : {}),
      certsDir: path.resolve(e.SLIPWAY_REGISTRY_CERTS_DIR),
      insecure: list(e.SLIPWAY_INSECURE_REGISTRIES),
    },
    hooks: { allowPrivateHosts: e.SLIPWAY_HOOK_ALLOW_PRIVATE_HOSTS, firstRetryMs: e.SLIPWAY_HOOK_FIRST_RETRY_MS },
    githubWebhookSecrets: list(e.SLIPWAY_GITHUB_WEBHOOK_SECRETS),
    gitWebhookTokens: list(e.SLIPWAY_GIT_WEBHOOK_TOKENS),
    searchPath: e.PATH,
    taskFiles: {
      allowPrivileged: e.SLIPWAY_TASK_ALLOW_PRIVILEGED,
      imageAliases: Object.fromEntries(list(e.SLIPWAY_TASK_IMAGE_ALIASES).map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()])),
      stepLimits: stepLimits(e),
    },
  };
}

function stepLimits(e: z.output<ReturnType<typeof buildSchema>>): StepLimits {
  const MIB = 1024 * 1024;
  const maxMemoryMib = e.SLIPWAY_STEP_MAX_MEMORY_MIB ?? Math.max(8192, e.SLIPWAY_STEP_MEMORY_MIB);
  const maxCpus = e.SLIPWAY_STEP_MAX_CPUS ?? Math.max(os.availableParallelism(), e.SLIPWAY_STEP_CPUS);
  const maxPids = e.SLIPWAY_STEP_MAX_PIDS ?? Math.max(32_768, e.SLIPWAY_STEP_PIDS);
  // A maximum under the default would refuse steps that ask for nothing.
  const under = [
    maxMemoryMib < e.SLIPWAY_STEP_MEMORY_MIB && 'SLIPWAY_STEP_MAX_MEMORY_MIB is under SLIPWAY_STEP_MEMORY_MIB',
    maxCpus < e.SLIPWAY_STEP_CPUS && 'SLIPWAY_STEP_MAX_CPUS is under SLIPWAY_STEP_CPUS',
    maxPids < e.SLIPWAY_STEP_PIDS && 'SLIPWAY_STEP_MAX_PIDS is under SLIPWAY_STEP_PIDS',
  ].filter(Boolean);
  if (under.length) throw new ConfigError(`invalid configuration: ${under.join('; ')}: a step's maximum is at least its default`);
  return {
    memoryBytes: e.SLIPWAY_STEP_MEMORY_MIB * MIB,
    cpus: e.SLIPWAY_STEP_CPUS,
    pids: e.SLIPWAY_STEP_PIDS,
    containersPerRun: e.SLIPWAY_STEP_CONTAINERS_PER_RUN,
    maximum: { memoryBytes: maxMemoryMib * MIB, cpus: maxCpus, pids: maxPids },
  };
}

/** A variable the user named on the command line (`slipway build --secret id=X,env=NAME`), not a setting. */
export function namedVariable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[name];
}

/** This process's environment with `extra` set: for the processes a worker forks (its build children). */
export function childProcessEnv(extra: Record<string, string>, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, ...extra };
}
