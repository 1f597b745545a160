// The `docker run` flags a cmd step may start with: ACR appends a cmd's text to `docker run`, so
// `cmd: --rm -e X=1 -w /src image args` passes those flags to Docker. Slipway runs the container itself,
// so each flag it understands becomes the step property with the same effect; any other is refused by name
// rather than ignored, since a file relying on it would not do what it says.
import { allowedCapability, parseCpus, parseMemory, parsePids, StepResourceError, type StepResourceAsk } from './step-resources.js';
import { WordsError } from './words.js';

export interface RunFlags {
  env: string[];
  workingDirectory?: string;
  entryPoint?: string;
  user?: string;
  network?: string;
  privileged: boolean;
  detach: boolean;
  ports: string[];
  expose: string[];
  /** --memory, --cpus, --pids-limit: held to the server's maximum by the loader. */
  resources: StepResourceAsk;
  /** --cap-add: canonical names, only Docker's default capabilities. */
  capAdd: string[];
}

/** Flags taking no value, and what they set; the ones that change nothing here (a container is always removed, never given a terminal) set nothing. */
const SWITCHES: Record<string, (f: RunFlags) => void> = {
  rm: () => {},
  tty: () => {},
  interactive: () => {},
  init: () => {},
  privileged: (f) => (f.privileged = true),
  detach: (f) => (f.detach = true),
};
const SHORT_SWITCHES: Record<string, string> = { t: 'tty', i: 'interactive', d: 'detach' };

/** Flags taking a value. */
const VALUED: Record<string, (f: RunFlags, v: string) => void> = {
  env: (f, v) => f.env.push(v.includes('=') ? v : `${v}=`),
  workdir: (f, v) => (f.workingDirectory = v),
  entrypoint: (f, v) => (f.entryPoint = v),
  user: (f, v) => (f.user = v),
  network: (f, v) => (f.network = v),
  net: (f, v) => (f.network = v),
  publish: (f, v) => f.ports.push(v),
  expose: (f, v) => f.expose.push(v),
  memory: (f, v) => (f.resources.memoryBytes = parseMemory(v)),
  cpus: (f, v) => (f.resources.cpus = parseCpus(v)),
  'pids-limit': (f, v) => (f.resources.pids = parsePids(v)),
  'cap-add': (f, v) => {
    const cap = allowedCapability(v);
    if (!f.capAdd.includes(cap)) f.capAdd.push(cap);
  },
};
const SHORT_VALUED: Record<string, string> = { e: 'env', w: 'workdir', u: 'user', p: 'publish', m: 'memory' };

/** Splits the leading flags off a cmd's words; `rest` starts with the image. */
export function parseRunFlags(words: readonly string[]): { flags: RunFlags; rest: string[] } {
  const flags: RunFlags = { env: [], privileged: false, detach: false, ports: [], expose: [], resources: {}, capAdd: [] };
  try {
    return readFlags(words, flags);
  } catch (err) {
    // One kind of error for the loader: a flag's bad value is a mistake in the cmd line like any other.
    throw err instanceof StepResourceError ? new WordsError(err.message) : err;
  }
}

function readFlags(words: readonly string[], flags: RunFlags): { flags: RunFlags; rest: string[] } {
  let i = 0;
  const valueOf = (name: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const v = words[++i];
    if (v === undefined) throw new WordsError(`docker run flag --${name} needs a value`);
    return v;
  };
  for (; i < words.length && words[i]!.startsWith('-') && words[i] !== '-'; i++) {
    const word = words[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq === -1 ? undefined : eq);
      const inline = eq === -1 ? undefined : word.slice(eq + 1);
      if (SWITCHES[name] && inline === undefined) SWITCHES[name](flags);
      else if (VALUED[name]) VALUED[name](flags, valueOf(name, inline));
      else throw new WordsError(`docker run flag --${name} is not supported in a cmd step; use the step's properties (env, workingDirectory, entryPoint, user, network, ports) or --memory, --cpus, --pids-limit, --cap-add`);
      continue;
    }
    // -it, -e X=1, -eX=1, -w/src: short flags, grouped as docker reads them.
    for (let j = 1; j < word.length; j++) {
      const c = word[j]!;
      if (SHORT_SWITCHES[c]) SWITCHES[SHORT_SWITCHES[c]]!(flags);
      else if (SHORT_VALUED[c]) {
        const name = SHORT_VALUED[c];
        const inline = j + 1 < word.length ? word.slice(j + 1).replace(/^=/, '') : undefined;
        VALUED[name]!(flags, valueOf(name, inline));
        break;
      } else throw new WordsError(`docker run flag -${c} is not supported in a cmd step`);
    }
  }
  return { flags, rest: words.slice(i) };
}
