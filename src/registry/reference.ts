// Image references (`[registry/]repository[:tag][@digest]`), parsed and normalised the way Docker does it,
// in one pure function. Grammar: https://github.com/distribution/reference/blob/main/reference.go
// Normalisation (docker.io, library/): https://github.com/distribution/reference/blob/main/normalize.go
import { isIPv6 } from 'node:net';
import { BadInputError } from '../errors.js';

export interface ImageReference {
  /** Registry host with optional port, e.g. `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/alpine`. */
  repository: string;
  tag?: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  digest?: string;
}

export interface ParseReferenceOptions {
  /** Registry of names without one (ACR's $Registry); `docker.io` when absent. */
  defaultRegistry?: string;
}

export class InvalidReferenceError extends BadInputError {
  override name = 'InvalidReferenceError';
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid image reference ${quote(input)}: ${reason}`, 'invalid_reference');
  }
}

export const DOCKER_HUB = 'docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

/** Longest repository name, registry included (distribution's NameTotalLengthMax). */
export const MAX_NAME_LENGTH = 255;
// name (255) + ':' + tag (128) + '@sha512:' + 128 hex, with room to spare; longer input is rejected before any regex runs.
const MAX_INPUT_LENGTH = 600;

// Separators are `[._]`, `__` or one or more `-`. Each repetition must begin with a separator character,
// which keeps the pattern linear on hostile input (the spec's `[-]*` would backtrack exponentially).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]{1,5}$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Parses and normalises an image reference; throws InvalidReferenceError saying what is wrong. */
export function parseImageReference(input: string, opts: ParseReferenceOptions = {}): ImageReference {
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(input, reason);
  };
  if (typeof input !== 'string' || input.length === 0) fail('it is empty');
  if (input.length > MAX_INPUT_LENGTH) fail(`it is too long (${input.length} characters)`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) fail('it contains control characters');
  if (/\s/.test(input)) fail('it contains whitespace');
  if (/[^\x21-\x7e]/.test(input)) fail('it contains non-ASCII characters');

  const at = input.indexOf('@');
  let rest = input;
  let digest: string | undefined;
  if (at !== -1) {
    rest = input.slice(0, at);
    digest = input.slice(at + 1);
    const reason = digestProblem(digest);
    if (reason) fail(reason);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`bad tag ${quote(tag)} (letters, digits, '_', '.', '-'; not starting with '.' or '-'; at most 128 characters)`);
  }
  if (rest === '') fail('the repository name is empty');

  let registry: string;
  let repository: string;
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  if (slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = rest.slice(slash + 1);
    const reason = registryProblem(registry);
    if (reason) fail(reason);
  } else {
    registry = opts.defaultRegistry ?? DOCKER_HUB;
    repository = rest;
    if (opts.defaultRegistry !== undefined) {
      const reason = registryProblem(registry);
      if (reason) fail(`the default ${reason}`);
    }
    if (IMAGE_ID.test(repository)) fail('a 64-character hex string is an image id, not a repository name');
  }
  registry = registry.toLowerCase();
  if (registry === LEGACY_DOCKER_HUB) registry = DOCKER_HUB;

  const reason = repositoryProblem(repository);
  if (reason) fail(reason);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = OFFICIAL_PREFIX + repository;
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) fail(`the name is longer than ${MAX_NAME_LENGTH} characters`);

  const ref: ImageReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Throws InvalidReferenceError unless a reference built by hand (rather than parsed) is well formed. */
export function checkImageReference(ref: ImageReference): void {
  const problem =
    registryProblem(ref.registry) ??
    repositoryProblem(ref.repository) ??
    (ref.tag !== undefined && !TAG.test(ref.tag) ? `bad tag ${quote(ref.tag)}` : undefined) ??
    (ref.digest !== undefined ? digestProblem(ref.digest) : undefined);
  if (problem) throw new InvalidReferenceError(formatReference(ref), problem);
}

/** The canonical string: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/**
 * The name an image goes by wherever names are compared (the base-image graph keys images by it): the
 * canonical string, registry host in lowercase. Hosts are case-insensitive and registries' notifications
 * name them in lowercase, while a Dockerfile's FROM keeps the host as written; repository paths and tags
 * are case-sensitive and stay as they are. Text that is no reference is returned unchanged.
 */
export function canonicalImageName(image: string): string {
  try {
    return formatReference(parseImageReference(image));
  } catch (err) {
    if (err instanceof InvalidReferenceError) return image;
    throw err;
  }
}

/** The reference with tag `latest` when it has neither tag nor digest (what `docker pull` does). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
}

/** Why a digest string is invalid, or undefined when it is a well-formed sha256/sha384/sha512 digest. */
export function digestProblem(digest: string): string | undefined {
  const sep = digest.indexOf(':');
  if (sep <= 0) return `bad digest ${quote(digest)} (expected algorithm:hex)`;
  const algorithm = digest.slice(0, sep);
  const hex = digest.slice(sep + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) return `unsupported digest algorithm ${quote(algorithm)} (sha256, sha384 or sha512)`;
  if (!/^[a-f0-9]*$/.test(hex)) return `bad digest: ${algorithm} hex must be lowercase 0-9a-f`;
  if (hex.length !== length) return `bad digest: ${algorithm} needs ${length} hex characters, got ${hex.length}`;
  return undefined;
}

function registryProblem(registry: string): string | undefined {
  let host = registry;
  let port: string | undefined;
  if (registry.startsWith('[')) {
    const close = registry.indexOf(']');
    if (close === -1) return `registry ${quote(registry)} has an unclosed '['`;
    const address = registry.slice(1, close);
    if (!isIPv6(address) || address.includes('%')) return `registry ${quote(registry)} is not a valid IPv6 address`;
    const after = registry.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return `registry ${quote(registry)} has text after the IPv6 address`;
    if (after !== '') port = after.slice(1);
    host = '';
  } else {
    const colon = registry.indexOf(':');
    if (colon !== -1) {
      host = registry.slice(0, colon);
      port = registry.slice(colon + 1);
    }
    if (host === '') return `registry ${quote(registry)} has no host`;
    if (!host.split('.').every((c) => DOMAIN_COMPONENT.test(c))) return `bad registry host ${quote(host)}`;
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    return `bad registry port ${quote(port)} (1-65535)`;
  }
  return undefined;
}

function repositoryProblem(repository: string): string | undefined {
  if (repository === '') return 'the repository name is empty';
  if (repository.length > MAX_NAME_LENGTH) return `the name is longer than ${MAX_NAME_LENGTH} characters`;
  if (/[A-Z]/.test(repository)) return `repository ${quote(repository)} contains uppercase letters (must be lowercase)`;
  for (const component of repository.split('/')) {
    if (component === '') return `repository ${quote(repository)} has an empty path component`;
    if (!PATH_COMPONENT.test(component)) {
      return `bad repository path component ${quote(component)} (lowercase letters and digits, separated by '.', '_', '__' or dashes)`;
    }
  }
  return undefined;
}

/** A short, printable rendering of untrusted text for messages. */
function quote(text: unknown): string {
  const s = String(text);
  const short = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return JSON.stringify(short).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
