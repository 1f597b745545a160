import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatPlatform, nativePlatform, parsePlatform, parseSupportedPlatform } from '../../src/platforms.js';
import { choosePlatforms, detectPlatforms } from '../../workers/platforms.js';

describe('parsePlatform', () => {
  const valid: [string, string][] = [
    ['linux/amd64', 'linux/amd64'],
    ['LINUX/AMD64', 'linux/amd64'],
    [' linux/arm64 ', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm/v7', 'linux/arm/v7'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/7', 'linux/arm/v7'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/armv7l', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['linux/arm/v6', 'linux/arm/v6'],
    ['linux/arm64/8', 'linux/arm64'],
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
  it('accepts the four platforms Slipway builds', () => {
    for (const p of ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'windows/amd64']) assert.equal(parseSupportedPlatform(p), p);
    assert.equal(parseSupportedPlatform('linux/arm'), 'linux/arm/v7');
  });
  it('refuses a well-formed platform nobody builds, naming what is supported', () => {
    assert.throws(() => parseSupportedPlatform('plan9/mips'), { message: /unsupported platform plan9\/mips: Slipway builds linux\/amd64, linux\/arm64, linux\/arm\/v7, windows\/amd64/ });
    assert.throws(() => parseSupportedPlatform('linux/arm/v6'), { message: /unsupported platform linux\/arm\/v6/ });
  });
});

describe('worker platforms', () => {
  it('names the native platform as Docker does', () => {
    assert.equal(nativePlatform('x64', 'linux'), 'linux/amd64');
    assert.equal(nativePlatform('arm64', 'linux'), 'linux/arm64');
    assert.equal(nativePlatform('x64', 'win32'), 'windows/amd64');
    assert.equal(nativePlatform('arm', 'linux', '7'), 'linux/arm/v7');
    assert.equal(nativePlatform('arm', 'linux', 6), 'linux/arm/v6');
    assert.equal(nativePlatform('arm', 'linux', undefined), 'linux/arm/v7');
  });
  it('detects the platforms whose QEMU handler is enabled with the F flag', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'binfmt-'));
    try {
      const handler = (state: string, flags: string) => `${state}\ninterpreter /usr/libexec/qemu-binfmt/x-binfmt-P\nflags: ${flags}\noffset 0\nmagic 7f454c46\n`;
      await fs.writeFile(path.join(dir, 'qemu-aarch64'), handler('enabled', 'PF'));
      await fs.writeFile(path.join(dir, 'qemu-arm'), handler('enabled', 'POCF'));
      await fs.writeFile(path.join(dir, 'qemu-riscv64'), handler('enabled', 'PF'));
      assert.deepEqual(await detectPlatforms(dir, 'linux/amd64'), ['linux/amd64', 'linux/arm/v7', 'linux/arm64']);
      await fs.writeFile(path.join(dir, 'qemu-arm'), handler('disabled', 'PF'));
      assert.deepEqual(await detectPlatforms(dir, 'linux/amd64'), ['linux/amd64', 'linux/arm64']);
      // Without F the kernel would look for the interpreter inside the build container.
      await fs.writeFile(path.join(dir, 'qemu-aarch64'), handler('enabled', 'P'));
      assert.deepEqual(await detectPlatforms(dir, 'linux/amd64'), ['linux/amd64']);
      assert.deepEqual(await detectPlatforms(path.join(dir, 'absent'), 'linux/arm64'), ['linux/arm64']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
  it('narrows detected platforms to those asked for, and refuses one it cannot build', () => {
    assert.deepEqual(choosePlatforms(['linux/amd64', 'linux/arm64'], ['linux/arm64']), ['linux/arm64']);
    assert.deepEqual(choosePlatforms(['linux/amd64'], undefined), ['linux/amd64']);
    assert.throws(() => choosePlatforms(['linux/amd64'], ['windows/amd64']), /cannot build windows\/amd64/);
  });
});
