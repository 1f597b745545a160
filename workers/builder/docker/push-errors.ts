// Which of the Engine's push errors mean the registry is away rather than the push is wrong, and which that
// no login was sent: the daemon reports each as a message in its stream, and only the text tells them apart.
import { EngineError, RegistryUnreachableError } from '../image-builder.js';

const UNREACHABLE = [
  /connection refused/i,
  /connection reset/i,
  /no such host/i,
  /i\/o timeout/i,
  /timeout exceeded/i,
  /TLS handshake timeout/i,
  /\bEOF\b/,
  /no route to host/i,
  /network is unreachable/i,
  /received unexpected HTTP status: 5\d\d/i,
  /\b50[0234] (Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/i,
];

/** A registry being away from a push error's message. */
export function isRegistryUnreachable(message: string): boolean {
  return UNREACHABLE.some((re) => re.test(message));
}

/** A registry refusing the login (or the lack of one) from a push or pull error's message. */
const REFUSED = /\b(unauthorized|authentication required|access denied|denied: requested access|401 Unauthorized|403 Forbidden)\b/i;

/** The Engine's words for a registry that asked for a Basic login when the request carried none (its 401). */
const NO_LOGIN = /\bno basic auth credentials\b/i;

/**
 * For an Engine error that says the registry refused the login, or the lack of one, the error a user can act on
 * (`verb` is `push` or `pull`); undefined for any other error.
 */
export function loginRefusal(registry: string, verb: 'push' | 'pull', reference: string, message: string): EngineError | undefined {
  if (NO_LOGIN.test(message)) return new EngineError(`registry ${registry} asks for a login to ${verb} ${reference} (401 unauthorized: ${message}), and this run has none for it: slipway registry login ${registry}`);
  if (REFUSED.test(message)) return new EngineError(`registry ${registry} refused the ${verb} of ${reference}: ${message}; check the login with slipway registry list (slipway registry login ${registry})`);
  return undefined;
}

/** The error a failed push of `reference` to `registry` raises. */
export function pushError(reference: string, registry: string, message: string): Error {
  if (isRegistryUnreachable(message)) return new RegistryUnreachableError(registry, `registry ${registry} unreachable while pushing ${reference}: ${message}`);
  return loginRefusal(registry, 'push', reference, message) ?? new EngineError(`push of ${reference} failed: ${message}`);
}
