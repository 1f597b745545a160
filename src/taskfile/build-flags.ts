// A build step's line, `-t app:$ID -f Dockerfile --build-arg K=V .`, read as docker build reads its
// arguments. Only the flags Slipway can honour are accepted; any other is an error naming the ones that are.
import { parseGitContext, looksLikeGitContext, type GitContext } from '../git/context.js';
import { splitWords } from './words.js';

export interface BuildSpec {
  tags: string[];
  /** Relative to the context, as given with -f; `Dockerfile` by default. */
  dockerfile?: string;
  buildArgs: Record<string, string>;
  target?: string;
  platform?: string;
  cacheFrom: string[];
  /** --label KEY=VALUE: labels on the image config; absent when none is given. */
  labels?: Record<string, string>;
  /** `--secret id=ID`: the task's secrets the build reads with RUN --mount=type=secret,id=ID. */
  secrets: string[];
  noCache: boolean;
  pull: boolean;
  /** The context path, relative to the task's working directory; or the remote git context as written. */
  context: string;
  /**
   * A git repository as the context (`https://host/repo.git#ref:dir`), as docker build and ACR take it:
   * checked out by the worker through its hardened git and its host policy; -f is then relative to `dir`.
   */
  git?: GitContext;
}

/**
 * Only the syntax here: whether the worker may reach the host (private networks, plain http) is its own
 * policy's to say when it checks the repository out.
 */
const SYNTAX_ONLY = { allowInsecure: true, allowPrivateHosts: true, allowFile: false } as const;

export class BuildFlagsError extends Error {
  override name = 'BuildFlagsError';
}

const WITH_VALUE: Record<string, string> = {
  '-t': 'tag',
  '--tag': 'tag',
  '-f': 'file',
  '--file': 'file',
  '--build-arg': 'build-arg',
  '--target': 'target',
  '--platform': 'platform',
  '--cache-from': 'cache-from',
  '--label': 'label',
  '--secret': 'secret',
};
const SWITCHES = new Set(['--no-cache', '--pull']);
const SUPPORTED = '-t, -f, --build-arg, --label, --target, --platform, --cache-from, --secret, --no-cache, --pull';

/** `id=ID` (docker's syntax): in a task file the value is the task's secret of that id, never a file or variable of the host. */
function secretId(value: string): string {
  const m = /^id=([A-Za-z0-9_.-]{1,128})$/.exec(value);
  if (!m) throw new BuildFlagsError(`--secret ${JSON.stringify(value.slice(0, 60))}: expected id=ID, naming a secret declared under secrets (src= and env= would read the worker's files and variables)`);
  return m[1]!;
}

export function parseBuildLine(line: string): BuildSpec {
  const words = splitWords(line);
  const spec: BuildSpec = { tags: [], buildArgs: {}, cacheFrom: [], secrets: [], noCache: false, pull: false, context: '' };
  const contexts: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-') || word === '-') {
      contexts.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const flag = word.startsWith('--') && eq !== -1 ? word.slice(0, eq) : word;
    if (SWITCHES.has(flag)) {
      const v = eq === -1 ? 'true' : word.slice(eq + 1);
      if (v !== 'true' && v !== 'false') throw new BuildFlagsError(`${flag}=${v}: expected true or false`);
      if (flag === '--no-cache') spec.noCache = v === 'true';
      else spec.pull = v === 'true';
      continue;
    }
    const name = WITH_VALUE[flag];
    if (!name) throw new BuildFlagsError(`docker build flag ${flag} is not supported; supported: ${SUPPORTED}`);
    let value: string | undefined;
    if (flag !== word) value = word.slice(eq + 1);
    else value = words[++i];
    if (value === undefined) throw new BuildFlagsError(`${flag} needs a value`);
    switch (name) {
      case 'tag':
        spec.tags.push(value);
        break;
      case 'file':
        spec.dockerfile = value;
        break;
      case 'build-arg': {
        const at = value.indexOf('=');
        if (at < 1) throw new BuildFlagsError(`--build-arg ${JSON.stringify(value)}: expected KEY=VALUE (a value from the environment is not supported)`);
        spec.buildArgs[value.slice(0, at)] = value.slice(at + 1);
        break;
      }
      case 'target':
        spec.target = value;
        break;
      case 'platform':
        spec.platform = value;
        break;
      case 'cache-from':
        spec.cacheFrom.push(value);
        break;
      case 'label': {
        // As docker build: KEY alone is an empty value.
        const at = value.indexOf('=');
        if (at === 0) throw new BuildFlagsError(`--label ${JSON.stringify(value)}: the key before = is empty`);
        spec.labels = { ...spec.labels, [at === -1 ? value : value.slice(0, at)]: at === -1 ? '' : value.slice(at + 1) };
        break;
      }
      case 'secret':
        spec.secrets.push(secretId(value));
        break;
    }
  }
  if (contexts.length !== 1) {
    throw new BuildFlagsError(contexts.length === 0 ? 'the build context is missing: end the line with a path, e.g. .' : `one build context expected, found ${contexts.length}: ${contexts.join(' ')}`);
  }
  const context = contexts[0]!;
  if (context === '-') throw new BuildFlagsError('a build context from stdin (-) is not supported');
  spec.context = context;
  if (looksLikeGitContext(context)) {
    try {
      spec.git = parseGitContext(context, SYNTAX_ONLY);
    } catch (err) {
      throw new BuildFlagsError((err as Error).message);
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(context)) {
    throw new BuildFlagsError(`a remote build context (${context}) that is not a git repository is not supported; a git URL ends in .git (https://host/org/repo.git#branch:dir)`);
  }
  return spec;
}
