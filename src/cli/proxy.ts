// HTTPS_PROXY / HTTP_PROXY / NO_PROXY for the CLI, as curl reads them: an https server is reached through an
// HTTP CONNECT tunnel (TLS then runs end to end, so the proxy sees only the host), an http one by sending the
// request to the proxy with the absolute URL. Hand-written: node:http has no proxy support before Node 24, and
// a proxy-agent package would load on every CLI start for the few users behind a proxy.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export interface ProxySettings {
  https?: string;
  http?: string;
  /** Hosts reached directly: `example.com` (and its subdomains), `.example.com`, `host:port`, an IP, or `*`. */
  noProxy: string[];
}

/** The proxy to reach `target` through, or undefined for a direct connection. */
export function proxyFor(target: URL, settings: ProxySettings): URL | undefined {
  const proxy = target.protocol === 'https:' ? settings.https : settings.http;
  if (!proxy || bypassed(target, settings.noProxy)) return undefined;
  // curl's rule: a proxy without a scheme is http://.
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`);
}

function bypassed(target: URL, noProxy: string[]): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return noProxy.some((entry) => {
    const rule = entry.trim().toLowerCase();
    if (rule === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(rule.replace(/^\[|\](?=:|$)/g, ''))!;
    const name = m[1]!.replace(/^\*?\./, '');
    if (m[2] && m[2] !== port) return false;
    return name !== '' && (host === name || host.endsWith(`.${name}`));
  });
}

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** An agent whose connections to https servers go through a CONNECT tunnel at `proxy`. */
export class TunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    options: https.AgentOptions = {},
  ) {
    super({ keepAlive: false, ...options });
  }

  override createConnection(args: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | undefined {
    const options = args as tls.ConnectionOptions & { host?: string; port?: number; servername?: string };
    // Node's agent takes the socket from the callback; on failure there is none.
    const fail = (err: Error) => callback?.(err, undefined as unknown as Duplex);
    const target = `${options.host}:${options.port}`;
    const connect = http.request({
      host: this.proxy.hostname.replace(/^\[|\]$/g, ''),
      port: this.proxy.port || 80,
      method: 'CONNECT',
      path: target,
      headers: { Host: target, ...proxyAuthorization(this.proxy) },
    });
    connect.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        return fail(new Error(`the proxy ${this.proxy.host} refused to connect to ${target}: HTTP ${res.statusCode}`));
      }
      const secure = tls.connect({ ...options, socket, servername: options.servername ?? options.host });
      callback?.(null, secure);
    });
    connect.once('error', (err) => fail(new Error(`cannot reach the proxy ${this.proxy.host}: ${err.message}`)));
    connect.end();
    return undefined;
  }
}

/**
 * Where to send a request for `target` through `proxy`, and the options and headers that go with it: https
 * through a tunnel to the target itself; plain http to the proxy, with the absolute URL as the request target.
 */
export function viaProxy(target: URL, proxy: URL, tlsOptions: https.AgentOptions): { url: URL; options: http.RequestOptions; headers: Record<string, string> } {
  if (target.protocol === 'https:') return { url: target, options: { agent: new TunnelAgent(proxy, tlsOptions) }, headers: {} };
  return { url: new URL(proxy.origin), options: { path: target.href }, headers: { Host: target.host, ...proxyAuthorization(proxy) } };
}

/** The route for `target` under `settings`: through a proxy, or undefined for a direct connection. */
export function routeFor(target: URL, settings: ProxySettings, tlsOptions: https.AgentOptions): ReturnType<typeof viaProxy> | undefined {
  const proxy = proxyFor(target, settings);
  return proxy ? viaProxy(target, proxy, tlsOptions) : undefined;
}
