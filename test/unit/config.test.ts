import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({}, {});
    assert.equal(c.api.port, 8080);
    assert.equal(c.defaultRegistry, '127.0.0.1:5000');
    assert.equal(c.limits.contextBytes, 2 * 1024 ** 3);
  });
  it('reads the environment and lets overrides win', () => {
    const c = loadConfig({ SLIPWAY_API_PORT: '9000' }, { SLIPWAY_API_PORT: '7000', SLIPWAY_PREFIX: 'abc', SLIPWAY_SERVER: 'http://h:1/' });
    assert.equal(c.api.port, 9000);
    assert.equal(c.prefix, 'abc');
    assert.equal(c.server, 'http://h:1');
  });
  it('names every bad setting', () => {
    assert.throws(() => loadConfig({}, { SLIPWAY_API_PORT: 'eighty', SLIPWAY_PREFIX: 'No:Colons' }), (err: Error) => {
      assert.match(err.message, /SLIPWAY_API_PORT/);
      assert.match(err.message, /SLIPWAY_PREFIX/);
      return true;
    });
  });
});
