// `slipway build --secret` read as docker build reads it; a message names the id, file or variable, never the value.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseSecretFlag, readSecretFlags } from '../../src/cli/secret-flags.js';

describe('--secret', () => {
  const cases: [string, boolean, ReturnType<typeof parseSecretFlag>][] = [
    ['id=npmrc,src=./.npmrc', false, { id: 'npmrc', from: { file: './.npmrc' } }],
    ['id=npmrc,source=/a/b', false, { id: 'npmrc', from: { file: '/a/b' } }],
    ['id=tok,env=TOKEN', false, { id: 'tok', from: { env: 'TOKEN' } }],
    ['type=env,id=tok,src=TOKEN', false, { id: 'tok', from: { env: 'TOKEN' } }],
    ['id=tok,type=env', false, { id: 'tok', from: { env: 'tok' } }],
    ['id=tok', true, { id: 'tok', from: { env: 'tok' } }],
    ['id=tok', false, { id: 'tok', from: { file: 'tok' } }],
    ['id=tok,type=file', true, { id: 'tok', from: { file: 'tok' } }],
  ];
  for (const [input, set, expected] of cases) {
    it(`reads ${input}${set ? ' (variable set)' : ''}`, () => assert.deepEqual(parseSecretFlag(input, () => set), expected));
  }
  const bad: [string, RegExp][] = [
    ['src=./x', /id=… is missing/],
    ['id=a b,src=x', /the id must be/],
    ['id=a,src=x,env=Y', /src or env, not both/],
    ['id=a,type=ssh', /type "ssh" is not supported/],
    ['id=a,mode=0400', /unknown key "mode"/],
    ['hunter2', /is not key=value/],
  ];
  for (const [input, message] of bad) it(`refuses ${input}`, () => assert.throws(() => parseSecretFlag(input), message));

  it('reads files and variables, and says which is missing without showing any value', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-secret-'));
    try {
      await fs.writeFile(path.join(dir, 'npmrc'), '//r/:_authToken=abc123\n');
      const env = (name: string) => ({ TOKEN: 's3cr3t-value' })[name];
      assert.deepEqual(await readSecretFlags([`id=npmrc,src=${dir}/npmrc`, 'id=tok,env=TOKEN'], env), { npmrc: '//r/:_authToken=abc123\n', tok: 's3cr3t-value' });
      await assert.rejects(readSecretFlags(['id=tok,env=MISSING'], env), /MISSING is not set/);
      await assert.rejects(readSecretFlags([`id=x,src=${dir}/nope`], env), /no such file/);
      await assert.rejects(readSecretFlags(['id=tok,env=TOKEN', 'id=tok,env=TOKEN'], env), /given twice/);
      await fs.writeFile(path.join(dir, 'bin'), Buffer.from([0xff, 0xfe, 0x00, 0x80]));
      await assert.rejects(readSecretFlags([`id=bin,src=${dir}/bin`], env), /not UTF-8 text/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
