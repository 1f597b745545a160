// Which registries are reached over TLS, and which CAs vouch for them, as Docker decides it: a registry with a
// CA in Docker's certs.d (`<certsDir>/<host[:port]>/*.crt`) is HTTPS with that CA, loopback and the operator's
// insecure list are plain HTTP, everything else is HTTPS with the system's roots plus the operator's CA file.
// certs.d is read per request, as dockerd reads it per connection, so a CA added or replaced applies at once.
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isLoopbackRegistry, registryHost } from './endpoint.js';

export interface RegistryTlsSettings {
  /** SLIPWAY_REGISTRY_CA_FILE: a PEM bundle trusted for every registry, beside the system's roots. */
  caFile?: string;
  /** SLIPWAY_REGISTRY_CERTS_DIR: Docker's certs.d, `<dir>/<host[:port]>/*.crt` trusted for that registry. */
  certsDir?: string;
  /** SLIPWAY_INSECURE_REGISTRIES: `host[:port]` reached over plain HTTP besides loopback; a bare host covers every port. */
  insecure: readonly string[];
}

/** A registry name safe to use as one path component: `host[:port]` or `[v6]:port`, never `..`. */
const CERTS_DIR_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export class RegistryTls {
  private readonly caFileText: string | undefined;

  constructor(private readonly settings: RegistryTlsSettings) {
    // Read once: an unreadable file is a configuration error the operator sees at start, not at the first pull.
    this.caFileText = settings.caFile ? readFileSync(settings.caFile, 'utf8') : undefined;
  }

  /** Plain HTTP for `registry` (`host[:port]`)? */
  insecure(registry: string): boolean {
    const name = registry.toLowerCase();
    const host = registryHost(name);
    if (this.settings.insecure.some((entry) => entry.toLowerCase() === name || entry.toLowerCase() === host)) return true;
    return isLoopbackRegistry(name) && !this.hasCertsDir(name);
  }

  /**
   * The CAs an HTTPS connection trusts beside the system's roots: the CA file's, and the certs.d ones of each
   * host given. A token realm is checked with its registry's CAs as well as its own, as Docker does (the realm
   * of a private registry usually has a certificate from the same private CA).
   */
  async extraCas(...hosts: string[]): Promise<string[]> {
    const own = await Promise.all([...new Set(hosts.map((h) => h.toLowerCase()))].map((h) => this.certsDirCas(h)));
    return [...new Set([...(this.caFileText ? [this.caFileText] : []), ...own.flat()])];
  }

  /** Where a CA for `registry` would go, for error messages. */
  certsDirFor(registry: string): string | undefined {
    return this.settings.certsDir && CERTS_DIR_NAME.test(registry) ? path.join(this.settings.certsDir, registry.toLowerCase(), 'ca.crt') : undefined;
  }

  private hasCertsDir(registry: string): boolean {
    const dir = this.dirOf(registry);
    return dir !== undefined && existsSync(dir);
  }

  private async certsDirCas(registry: string): Promise<string[]> {
    const dir = this.dirOf(registry);
    if (!dir) return [];
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    // Docker's convention: *.crt are CAs; *.cert and *.key are a client certificate, which Slipway does not send.
    return Promise.all(names.filter((n) => n.endsWith('.crt')).sort().map((n) => fs.readFile(path.join(dir, n), 'utf8')));
  }

  private dirOf(registry: string): string | undefined {
    if (!this.settings.certsDir || !CERTS_DIR_NAME.test(registry)) return undefined;
    return path.join(this.settings.certsDir, registry.toLowerCase());
  }
}

/** OpenSSL's and Node's codes for a certificate the client would not accept. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);

/**
 * Why a TLS connection to `host` failed, when it did; undefined for other network errors. These are not
 * worth a retry: the same certificate comes back.
 */
export function tlsFailure(err: unknown, host: string, caPath: string | undefined): string | undefined {
  const code = err instanceof Error ? (err.cause as { code?: unknown } | undefined)?.code : undefined;
  if (typeof code !== 'string') return undefined;
  const trustHint = `trust its CA with SLIPWAY_REGISTRY_CA_FILE${caPath ? ` or ${caPath}` : ''}`;
  if (UNTRUSTED_CERTIFICATE.has(code)) return `TLS: the certificate of ${host} is not signed by a trusted CA (${code}); ${trustHint}`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `TLS: the certificate of ${host} is not valid now (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `TLS: the certificate of ${host} is for another name (${code})`;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO') {
    return `TLS handshake with ${host} failed (${code}); if it serves plain HTTP, list it in SLIPWAY_INSECURE_REGISTRIES`;
  }
  return undefined;
}
