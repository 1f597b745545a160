// Table tests of where a registry is reached: loopback detection (plain HTTP) and base URLs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackRegistry, registryBaseUrl, registryHost } from '../../src/registry/endpoint.js';

describe('isLoopbackRegistry', () => {
  const table: [string, boolean][] = [
    ['localhost', true],
    ['localhost:5000', true],
    ['LOCALHOST:5000', true],
    ['127.0.0.1', true],
    ['127.0.0.1:5000', true],
    ['127.255.0.9:80', true],
    ['[::1]', true],
    ['[::1]:5000', true],
    ['docker.io', false],
    ['ghcr.io', false],
    ['10.0.0.1:5000', false],
    ['128.0.0.1', false],
    ['127.example.com', false],
    ['localhost.example.com', false],
    ['[::2]:5000', false],
  ];
  for (const [registry, expected] of table) it(`${registry} → ${expected}`, () => assert.equal(isLoopbackRegistry(registry), expected));
});

describe('registryBaseUrl', () => {
  const table: [string, boolean, string][] = [
    ['docker.io', false, 'https://registry-1.docker.io'],
    ['ghcr.io', false, 'https://ghcr.io'],
    ['127.0.0.1:5000', true, 'http://127.0.0.1:5000'],
    ['[::1]:5000', true, 'http://[::1]:5000'],
    ['reg.example.com:8443', false, 'https://reg.example.com:8443'],
  ];
  for (const [registry, insecure, expected] of table) it(`${registry} → ${expected}`, () => assert.equal(registryBaseUrl(registry, insecure), expected));
});

describe('registryHost', () => {
  const table: [string, string][] = [
    ['ghcr.io', 'ghcr.io'],
    ['Reg.io:5000', 'reg.io'],
    ['[::1]:5000', '::1'],
    ['[2001:db8::1]', '2001:db8::1'],
  ];
  for (const [registry, expected] of table) it(`${registry} → ${expected}`, () => assert.equal(registryHost(registry), expected));
});
