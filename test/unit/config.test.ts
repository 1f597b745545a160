import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCliConfig, loadConfig } from '../../src/config.js';

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
  it("gives the CLI the server and cache folder the full configuration would, and ignores the server's own settings", () => {
    const env = { SLIPWAY_SERVER: 'http://builds.example:8080//', XDG_CACHE_HOME: '/var/cache/me', XDG_CONFIG_HOME: '/etc/me', SLIPWAY_TOKEN: 'slw_x', SLIPWAY_API_PORT: 'eighty', https_proxy: 'proxy.corp:3128', HTTPS_PROXY: 'ignored:1', NO_PROXY: 'a.example, .b.example' };
    assert.deepEqual(loadCliConfig(env), {
      server: 'http://builds.example:8080',
      cli: { cacheDir: '/var/cache/me/slipway', configFile: '/etc/me/slipway/config.json', token: 'slw_x', serverFromEnv: true, proxy: { https: 'proxy.corp:3128', noProxy: ['a.example', '.b.example'] }, noColor: false },
    });
    const { server, cli } = loadConfig({ SLIPWAY_API_PORT: '80' }, env);
    assert.deepEqual({ server, cli }, loadCliConfig(env));
  });
  it('refuses a SLIPWAY_SERVER that is not a URL, by name', () => {
    assert.throws(() => loadCliConfig({ SLIPWAY_SERVER: 'not a url' }), /invalid configuration: SLIPWAY_SERVER/);
  });
});

describe('step limits and their maximum', () => {
  it('a step may ask for more than the default by default', () => {
    const { stepLimits } = loadConfig({}, {}).taskFiles;
    assert.equal(stepLimits.memoryBytes, 2048 * 1024 * 1024);
    assert.equal(stepLimits.maximum.memoryBytes, 8192 * 1024 * 1024);
    assert.ok(stepLimits.maximum.cpus >= stepLimits.cpus);
    assert.equal(stepLimits.maximum.pids, 32_768);
  });
  it('takes the maximum from the settings, CPUs in fractions', () => {
    const { maximum } = loadConfig({}, { SLIPWAY_STEP_MAX_MEMORY_MIB: '4096', SLIPWAY_STEP_MAX_CPUS: '2.5', SLIPWAY_STEP_MAX_PIDS: '2048' }).taskFiles.stepLimits;
    assert.deepEqual(maximum, { memoryBytes: 4096 * 1024 * 1024, cpus: 2.5, pids: 2048 });
  });
  it('a default above the maximum it could never be asked within is refused at start', () => {
    assert.throws(() => loadConfig({}, { SLIPWAY_STEP_MEMORY_MIB: '4096', SLIPWAY_STEP_MAX_MEMORY_MIB: '1024' }), /SLIPWAY_STEP_MAX_MEMORY_MIB is under SLIPWAY_STEP_MEMORY_MIB/);
  });
});
