// A describe's stack as hooks: started before its tests and closed after them, so the files that need only
// that do not each copy the same before/after pair. Read `stack` (and `git`) inside tests and hooks, once
// the before hook has run.
import { after, before } from 'node:test';
import { GitServer } from './git-server.js';
import { startTestStack, type TestStack } from './stack.js';

type StackOptions = NonNullable<Parameters<typeof startTestStack>[0]>;

export interface StackHooks {
  readonly stack: TestStack;
}

export interface GitStackHooks extends StackHooks {
  /** A git server over HTTP on loopback (no daemon). */
  readonly git: GitServer;
}

/** What a stack needs to fetch from a test's git server: plain HTTP, on a loopback address. */
export const LOOPBACK_GIT_ENV = { SLIPWAY_GIT_ALLOW_INSECURE: '1', SLIPWAY_GIT_ALLOW_PRIVATE_HOSTS: '1' } as const;

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is read before the describe's before hook started it`);
  return value;
}

export function withStack(opts: StackOptions = {}): StackHooks {
  let stack: TestStack | undefined;
  before(async () => {
    stack = await startTestStack(opts);
  });
  after(() => stack?.close());
  return {
    get stack() {
      return started(stack, 'the stack');
    },
  };
}

/** A git server and a stack allowed to fetch from it; the stack stops first, so no fetch outlives the server. */
export function withGitStack(opts: StackOptions = {}): GitStackHooks {
  let git: GitServer | undefined;
  let stack: TestStack | undefined;
  before(async () => {
    git = await GitServer.start({ daemon: false });
    stack = await startTestStack({ ...opts, env: { ...LOOPBACK_GIT_ENV, ...opts.env } });
  });
  after(async () => {
    await stack?.close();
    await git?.stop();
  });
  return {
    get stack() {
      return started(stack, 'the stack');
    },
    get git() {
      return started(git, 'the git server');
    },
  };
}
