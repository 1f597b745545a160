// The CLI behind a proxy: which hosts go through it (NO_PROXY as curl reads it), a plain-http request sent to
// the proxy in absolute form, and an https one through a CONNECT tunnel with TLS end to end, checked against
// a real forward proxy and real servers on loopback.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { httpRequest, useProxySettings } from '../../src/cli/http.js';
import { proxyFor, routeFor } from '../../src/cli/proxy.js';

describe('which requests go through the proxy', () => {
  const settings = { https: 'proxy.corp:3128', http: 'http://user:p%40ss@proxy.corp:8080', noProxy: ['internal.example', '.corp.example', '10.1.2.3', 'svc.local:8443'] };
  const cases: [string, string | undefined][] = [
    ['https://slipway.example.com/v1/runs', 'http://proxy.corp:3128/'],
    ['http://slipway.example.com/v1/runs', 'http://user:p%40ss@proxy.corp:8080/'],
    ['https://internal.example/v1', undefined],
    ['https://api.internal.example/v1', undefined],
    ['https://notinternal.example/v1', 'http://proxy.corp:3128/'],
    ['https://a.b.corp.example/', undefined],
    ['http://10.1.2.3:8080/', undefined],
    ['https://svc.local:8443/', undefined],
    ['https://svc.local/', 'http://proxy.corp:3128/'],
  ];
  for (const [url, want] of cases) {
    it(`${url} → ${want ?? 'direct'}`, () => assert.equal(proxyFor(new URL(url), settings)?.href, want));
  }
  it('NO_PROXY=* and no proxy set are direct', () => {
    assert.equal(proxyFor(new URL('https://x.example/'), { ...settings, noProxy: ['*'] }), undefined);
    assert.equal(proxyFor(new URL('https://x.example/'), { noProxy: [] }), undefined);
  });
});

describe('requests through a real forward proxy', () => {
  const seen: string[] = [];
  /** Tunnels are the proxy's sockets no longer: closing the server does not end them. */
  const tunnels: import('node:stream').Duplex[] = [];
  let proxy: http.Server;
  let plain: http.Server;
  let secure: https.Server;
  let dir: string;
  let cert: string;
  const port = (s: net.Server) => (s.address() as AddressInfo).port;
  const listen = (s: net.Server) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-proxy-'));
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')]);
    cert = await fs.readFile(path.join(dir, 'cert.pem'), 'utf8');
    plain = http.createServer((req, res) => res.end(`plain ${req.url} host=${req.headers.host}`));
    secure = https.createServer({ cert, key: await fs.readFile(path.join(dir, 'key.pem')) }, (req, res) => res.end(`secure ${req.url}`));
    // A forward proxy: absolute-form requests are forwarded, CONNECT opens a tunnel; each is recorded.
    proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} auth=${req.headers['proxy-authorization'] ?? ''}`);
      const target = new URL(req.url!);
      const forward = http.request(target, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      });
      req.pipe(forward);
    });
    proxy.on('connect', (req, socket, head) => {
      seen.push(`CONNECT ${req.url}`);
      tunnels.push(socket);
      const [host, p] = req.url!.split(':');
      const upstream = net.connect(Number(p), host!, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
    });
    await Promise.all([listen(proxy), listen(plain), listen(secure)]);
  });
  after(async () => {
    useProxySettings({ noProxy: [] });
    for (const t of tunnels) t.destroy();
    for (const s of [proxy, plain, secure]) s.closeAllConnections();
    await Promise.all([proxy, plain, secure].map((s) => new Promise((r) => s.close(r))));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('sends a plain-http request to the proxy with the absolute URL and the proxy credentials', async () => {
    useProxySettings({ http: `http://ci:s3cret@127.0.0.1:${port(proxy)}`, noProxy: [] });
    const res = await httpRequest(`http://127.0.0.1:${port(plain)}/v1/runs?top=1`, { method: 'GET' });
    assert.equal(await res.text(), `plain /v1/runs?top=1 host=127.0.0.1:${port(plain)}`);
    assert.equal(seen.at(-1), `GET http://127.0.0.1:${port(plain)}/v1/runs?top=1 auth=Basic ${Buffer.from('ci:s3cret').toString('base64')}`);
  });

  it('tunnels https with CONNECT, TLS checked against the server itself', async () => {
    const target = new URL(`https://127.0.0.1:${port(secure)}/v1/health`);
    const route = routeFor(target, { https: `127.0.0.1:${port(proxy)}`, noProxy: [] }, { ca: [cert] })!;
    const body = await new Promise<string>((resolve, reject) => {
      https.get(route.url, { ...route.options, ca: [cert] }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c)).on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.equal(body, 'secure /v1/health');
    assert.equal(seen.at(-1), `CONNECT 127.0.0.1:${port(secure)}`);
    // Without the server's certificate trusted, the tunnel does not make it trusted.
    const refused = await new Promise<Error | undefined>((resolve) => {
      https.get(route.url, routeFor(target, { https: `127.0.0.1:${port(proxy)}`, noProxy: [] }, {})!.options, () => resolve(undefined)).on('error', resolve);
    });
    assert.match(String(refused?.message), /self.signed|certificate/i);
  });

  it('goes directly to a NO_PROXY host', async () => {
    useProxySettings({ http: `http://127.0.0.1:${port(proxy)}`, noProxy: ['127.0.0.1'] });
    const before = seen.length;
    const res = await httpRequest(`http://127.0.0.1:${port(plain)}/direct`, { method: 'GET' });
    assert.match(await res.text(), /^plain \/direct/);
    assert.equal(seen.length, before);
  });
});
