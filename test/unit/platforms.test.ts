import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPlatform, nativePlatform, parsePlatform, parseSupportedPlatform } from '../../src/platforms.js';
import { choosePlatforms } from '../../workers/platforms.js';

describe('parsePlatform', () => {
  const valid: [string, string][] = [
    ['linux/amd64', 'linux/amd64'],
    ['LINUX/AMD64', 'linux/amd64'],
    [' linux/arm64 ', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm/v7', 'linux/arm/v7'],
    ['amd64', 'linux/amd64'],
    ['linux/x86_64', 'linux/amd64'],
    ['linux/aarch64', 'linux/arm64'],
    ['windows/amd64', 'windows/amd64'],
  ];
  for (const [input, want] of valid) it(`normalises ${JSON.stringify(input)} to ${want}`, () => assert.equal(formatPlatform(parsePlatform(input)), want));

  const invalid = ['', '/', 'linux/', '/amd64', 'linux//amd64', 'linux/amd64/v8/extra', 'linux/amd 64', 'linux/amd64;rm -rf', 'l'.repeat(40) + '/amd64', 'linux/\u0000', 'линукс/amd64'];
  for (const input of invalid) {
    it(`refuses ${JSON.stringify(input.slice(0, 30))}`, () => assert.throws(() => parsePlatform(input), { name: 'BadInputError', message: /expected os\/arch/ }));
  }
});

describe('parseSupportedPlatform', () => {
  it('accepts the three platforms Slipway builds', () => {
    for (const p of ['linux/amd64', 'linux/arm64', 'windows/amd64']) assert.equal(parseSupportedPlatform(p), p);
  });
  it('refuses a well-formed platform nobody builds, naming what is supported', () => {
    assert.throws(() => parseSupportedPlatform('plan9/mips'), { message: /unsupported platform plan9\/mips: Slipway builds linux\/amd64, linux\/arm64, windows\/amd64/ });
  });
});

describe('worker platforms', () => {
  it('names the native platform as Docker does', () => {
    assert.equal(nativePlatform('x64', 'linux'), 'linux/amd64');
    assert.equal(nativePlatform('arm64', 'linux'), 'linux/arm64');
    assert.equal(nativePlatform('x64', 'win32'), 'windows/amd64');
  });
  it('narrows detected platforms to those asked for, and refuses one it cannot build', () => {
    assert.deepEqual(choosePlatforms(['linux/amd64', 'linux/arm64'], ['linux/arm64']), ['linux/arm64']);
    assert.deepEqual(choosePlatforms(['linux/amd64'], undefined), ['linux/amd64']);
    assert.throws(() => choosePlatforms(['linux/amd64'], ['windows/amd64']), /cannot build windows\/amd64/);
  });
});
