// A real git server on loopback for tests and benches: bare repositories under one directory, served by
// `git daemon` (git://) and by `git http-backend` behind a small node HTTP server (smart HTTP), where a
// private repository answers 401 unless the request carries `Authorization: Basic x-access-token:<token>`.
// Commits are written with `git fast-import`, so a test states the files of a commit and gets its SHA.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './stack.js';

/** A file's new content; `null` deletes it. */
export type FileChange = string | Buffer | null | { exec: string } | { symlink: string } | { gitlink: string };

export interface RequestRecord {
  method: string;
  path: string;
  repo: string;
  authorization?: string;
  status: number;
}

/** Environment of every git this module runs: no system or user configuration, fixed identity. */
function gitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
}

/** Runs git with an argument array; resolves stdout, rejects with stderr on a non-zero exit. */
export function git(args: readonly string[], opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: opts.cwd, env: opts.env ?? gitEnv(os.tmpdir()), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`git ${args.join(' ')} exited with ${code}: ${Buffer.concat(err).toString().trim()}`));
    });
    child.stdin.end(opts.input);
  });
}

export class GitServer {
  /** Every HTTP request answered (or refused), in order. */
  readonly requests: RequestRecord[] = [];
  private readonly privateRepos = new Map<string, string>();
  /** Repositories whose requests are left unanswered, each with what to call when one arrives. */
  private readonly stalled = new Map<string, () => void>();
  private readonly redirects = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  private commitTime = 1_700_000_000;

  private constructor(
    /** Directory holding `<name>.git` bare repositories. */
    readonly root: string,
    private readonly home: string,
    private readonly httpServer: http.Server,
    private readonly daemon: ChildProcess | undefined,
    private readonly daemonPort: number,
  ) {
    httpServer.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  /** Starts the HTTP server and, unless `daemon: false`, git daemon; both on 127.0.0.1, free ports. */
  static async start(opts: { daemon?: boolean } = {}): Promise<GitServer> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-git-server-'));
    const home = path.join(root, '.home');
    await fs.mkdir(home);
    let server!: GitServer;
    const httpServer = http.createServer((req, res) => server.handle(req, res));
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    let daemon: ChildProcess | undefined;
    let port = 0;
    if (opts.daemon !== false) {
      port = await freePort();
      daemon = spawn('git', ['daemon', `--base-path=${root}`, '--export-all', '--reuseaddr', '--informative-errors', '--listen=127.0.0.1', `--port=${port}`, root], {
        env: gitEnv(home),
        stdio: 'ignore',
      });
      await waitForPort(port);
    }
    server = new GitServer(root, home, httpServer, daemon, port);
    return server;
  }

  get httpBase(): string {
    return `http://127.0.0.1:${(this.httpServer.address() as AddressInfo).port}`;
  }

  /** Smart HTTP URL of a repository. */
  httpUrl(name: string): string {
    return `${this.httpBase}/${name}.git`;
  }

  /** git:// URL of a repository (needs the daemon). */
  gitUrl(name: string): string {
    return `git://127.0.0.1:${this.daemonPort}/${name}.git`;
  }

  repoDir(name: string): string {
    return path.join(this.root, `${name}.git`);
  }

  /** Creates an empty bare repository whose HEAD is `main`; `token` makes it private over HTTP. */
  async createRepo(name: string, opts: { token?: string } = {}): Promise<string> {
    await git(['init', '--quiet', '--bare', '--initial-branch=main', this.repoDir(name)], { env: gitEnv(this.home) });
    if (opts.token) this.privateRepos.set(name, opts.token);
    return name;
  }

  /** Writes a commit on `branch` (default main) on top of its head, changing `files`; returns its SHA. */
  async commit(repo: string, files: Record<string, FileChange>, message = 'change', opts: { branch?: string } = {}): Promise<string> {
    const ref = `refs/heads/${opts.branch ?? 'main'}`;
    const parent = await this.resolve(repo, ref);
    const chunks: Buffer[] = [];
    const text = (s: string) => chunks.push(Buffer.from(s));
    const data = (b: Buffer | string) => {
      const buf = Buffer.from(b);
      text(`data ${buf.length}\n`);
      chunks.push(buf);
      text('\n');
    };
    text(`commit ${ref}\ncommitter Slipway Test <test@slipway.invalid> ${this.commitTime++} +0000\n`);
    data(message);
    if (parent) text(`from ${parent}\n`);
    for (const [file, change] of Object.entries(files)) {
      if (change === null) text(`D ${file}\n`);
      else if (typeof change === 'string' || Buffer.isBuffer(change)) (text(`M 100644 inline ${file}\n`), data(change));
      else if ('exec' in change) (text(`M 100755 inline ${file}\n`), data(change.exec));
      else if ('symlink' in change) (text(`M 120000 inline ${file}\n`), data(change.symlink));
      else text(`M 160000 ${change.gitlink} ${file}\n`);
    }
    text('\n');
    await this.fastImport(repo, Buffer.concat(chunks));
    return (await this.resolve(repo, ref))!;
  }

  /** Feeds a fast-import stream into a repository (benches use it for long histories). Deltas are left to
   * `git repack -f`, whose delta search is far quicker on a long history than fast-import's own. */
  async fastImport(repo: string, stream: Buffer | string): Promise<void> {
    await git(['-C', this.repoDir(repo), 'fast-import', '--quiet', '--force', '--depth=0'], { input: stream, env: gitEnv(this.home) });
  }

  /** Points `branch` at `sha` (creating it). */
  async branch(repo: string, name: string, sha: string): Promise<void> {
    await git(['-C', this.repoDir(repo), 'update-ref', `refs/heads/${name}`, sha], { env: gitEnv(this.home) });
  }

  /** Creates a tag at `sha`: annotated when `message` is given. */
  async tag(repo: string, name: string, sha: string, message?: string): Promise<void> {
    const args = message ? ['tag', '-a', '-m', message, name, sha] : ['tag', name, sha];
    await git(['-C', this.repoDir(repo), '-c', 'user.name=Slipway Test', '-c', 'user.email=test@slipway.invalid', ...args], { env: gitEnv(this.home) });
  }

  /** Points `ref` (any full name, e.g. refs/pull/1/head) at `sha`. */
  async setRef(repo: string, ref: string, sha: string): Promise<void> {
    await git(['-C', this.repoDir(repo), 'update-ref', ref, sha], { env: gitEnv(this.home) });
  }

  /** Adds (or moves) a submodule at `subPath` pointing at `sha` of `url`, with its .gitmodules entry. */
  async submodule(repo: string, subPath: string, url: string, sha: string, opts: { branch?: string } = {}): Promise<string> {
    const gitmodules = `[submodule "${subPath}"]\n\tpath = ${subPath}\n\turl = ${url}\n`;
    return this.commit(repo, { '.gitmodules': gitmodules, [subPath]: { gitlink: sha } }, `submodule ${subPath}`, opts);
  }

  async resolve(repo: string, ref: string): Promise<string | undefined> {
    try {
      return (await git(['-C', this.repoDir(repo), 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { env: gitEnv(this.home) })).trim();
    } catch {
      return undefined;
    }
  }

  /** Requests for `repo` are left unanswered from now on (to test timeouts); resolves when the first one arrives. */
  stall(repo: string): Promise<void> {
    return new Promise((resolve) => this.stalled.set(repo, resolve));
  }

  /** Requests for `repo` are answered again from now on (those left unanswered stay so). */
  resume(repo: string): void {
    this.stalled.delete(repo);
  }

  /** Requests for `repo` are answered with a 301 to the same path under `base` (a repository that moved). */
  redirect(repo: string, base: string): void {
    this.redirects.set(repo, base.replace(/\/+$/, ''));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    if (this.daemon && this.daemon.exitCode === null) {
      const exited = new Promise((resolve) => this.daemon!.once('exit', resolve));
      this.daemon.kill('SIGTERM');
      await exited;
    }
    await fs.rm(this.root, { recursive: true, force: true });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const repo = /^\/([^/]+)\.git\//.exec(url.pathname)?.[1] ?? '';
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname + url.search, repo, authorization: req.headers.authorization, status: 0 };
    this.requests.push(record);
    const stalled = this.stalled.get(repo);
    if (stalled) return stalled(); // never answered; the socket is destroyed at stop()
    const moved = this.redirects.get(repo);
    if (moved !== undefined) {
      record.status = 301;
      res.writeHead(301, { Location: `${moved}${url.pathname.slice(`/${repo}.git`.length)}${url.search}` }).end();
      return;
    }
    const token = this.privateRepos.get(repo);
    if (token !== undefined && req.headers.authorization !== `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`) {
      record.status = 401;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="slipway-test"', 'Content-Type': 'text/plain' }).end('unauthorized\n');
      return;
    }
    const env: NodeJS.ProcessEnv = {
      ...gitEnv(this.home),
      GIT_PROJECT_ROOT: this.root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      REQUEST_METHOD: req.method,
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: '127.0.0.1',
    };
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    const protocol = req.headers['git-protocol'];
    if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    req.pipe(cgi.stdin);
    cgi.stdin.on('error', () => {});
    pipeCgiResponse(cgi, res, (status) => (record.status = status));
  }
}

/** Turns a CGI answer (headers, blank line, body) into an HTTP response. */
function pipeCgiResponse(cgi: ChildProcess, res: http.ServerResponse, onStatus: (status: number) => void): void {
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout!.on('data', (chunk: Buffer) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    if (end === -1) return;
    const sep = /\r?\n\r?\n/.exec(text.slice(end))![0].length;
    let status = 200;
    for (const line of text.slice(0, end).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    onStatus(status);
    res.writeHead(status);
    headersDone = true;
    res.write(head.subarray(end + sep));
  });
  cgi.once('close', () => {
    if (!headersDone) (onStatus(502), res.writeHead(502));
    res.end();
  });
}

async function waitForPort(port: number): Promise<void> {
  const net = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`git daemon did not listen on port ${port}`);
}
