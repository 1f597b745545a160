// The checks a task file's text passes before the YAML parser sees it: nesting measured in one pass (never
// fewer levels than the parser would build, brackets in commands and block scalars not counted), characters
// YAML forbids, and bytes that are not UTF-8.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IssueList } from '../../src/taskfile/errors.js';
import { LinePositions } from '../../src/taskfile/positions.js';
import { checkCharacters, decodeTaskFile, findDeepNesting, firstInvalidUtf8 } from '../../src/taskfile/source-checks.js';

const nested = (n: number, unit: (i: number) => string) => Array.from({ length: n }, (_, i) => unit(i)).join('');

describe('findDeepNesting', () => {
  const allowed: [string, string][] = [
    ['a plain task file', 'version: v1.1.0\nsteps:\n  - id: a\n    cmd: bb sh -c "echo hi"\n    env:\n      - A=b\n    when: ["-"]\n'],
    ['brackets in a plain command', `steps:\n  - cmd: bb sh -c [ -f x ] ${'['.repeat(100)}\n`],
    ['brackets in a quoted command', `steps:\n  - cmd: "bb sh -c '${'[{'.repeat(100)}'"\n`],
    ['brackets in a block scalar', `steps:\n  - cmd: |\n      ${'['.repeat(100)}\n      ${'- '.repeat(100)}\n    when: ["-"]\n`],
    ['brackets in a comment', `steps: [a] # ${'['.repeat(100)}\n`],
    ['brackets in a flow string', `steps: ["${'['.repeat(100)}", '${'{'.repeat(100)}']\n`],
    ['a multi-line quoted scalar', `steps:\n  - cmd: "a\n${'['.repeat(100)}\n  b"\n`],
    ['32 levels of flow', `steps: ${'['.repeat(30)}${']'.repeat(30)}\n`],
  ];
  for (const [name, text] of allowed) it(`passes ${name}`, () => assert.equal(findDeepNesting(text, 32), -1));

  const refused: [string, string][] = [
    ['deep flow sequences', `steps: ${'['.repeat(300_000)}`],
    ['deep flow maps', `steps: ${'{a: '.repeat(1000)}`],
    ['flow after a closed one', `steps: [[]] ${''}\nx: ${'['.repeat(40)}`],
    ['compact sequences on one line', `steps:\n${'- '.repeat(1000)}x\n`],
    ['complex keys on one line', `steps: ${'? '.repeat(1000)}`],
    ['block maps by indentation', nested(100, (i) => `${' '.repeat(i)}k${i}:\n`)],
    ['block sequences by indentation', nested(100, (i) => `${' '.repeat(i)}- \n`)],
    ['flow in a line after a block scalar', `- a: |\n    text\n  b: ${'['.repeat(40)}\n`],
    ['a quote inside a flow plain scalar does not hide what follows', `steps: [it's, ${'['.repeat(40)} ']`],
    ['a quote inside a block plain scalar does not hide what follows', `a: it's\nb: ${'['.repeat(40)}\nc: '`],
    ['anchors and tags before the flow', `steps: &x !!seq ${'['.repeat(40)}`],
  ];
  for (const [name, text] of refused) it(`refuses ${name}`, () => assert.notEqual(findDeepNesting(text, 32), -1));

  it('is linear: a quarter of a megabyte of brackets takes milliseconds', () => {
    const start = performance.now();
    findDeepNesting(`steps: ${'['.repeat(256 * 1024)}`, 1_000_000);
    findDeepNesting(`steps:\n${'  - cmd: "a[b]"\n'.repeat(16 * 1024)}`, 32);
    assert.ok(performance.now() - start < 1000);
  });
});

describe('characters and encoding', () => {
  const cases: [string, string, RegExp | undefined][] = [
    ['NUL', 'steps:\n  - cmd: a\0b\n', /^2:11 the file contains a NUL character/],
    ['a bell', 'steps: [\x07]', /^1:9 the file contains the character U\+0007/],
    ['DEL', 'a: \x7f', /U\+007F/],
    ['a C1 control', 'a: \x85ok \x9b', /^1:8 .*U\+009B/],
    ['a lone surrogate', 'a: \uD800x', /U\+D800/],
    ['U+FFFE', 'a: \uFFFE', /U\+FFFE/],
    ['tabs, CRLF and an emoji', 'a:\tb\r\nc: \u{1F600}\n', undefined],
  ];
  for (const [name, text, expected] of cases) {
    it(`${expected ? 'refuses' : 'accepts'} ${name}`, () => {
      const issues = new IssueList('acb.yaml');
      checkCharacters(text, issues, new LinePositions(text));
      const got = issues.items.map((i) => `${i.line}:${i.column} ${i.message}`).join('\n');
      if (expected) assert.match(got, expected);
      else assert.equal(got, '');
    });
  }

  it('decodes UTF-8 and refuses other bytes at their line and column', () => {
    const issues = new IssueList('acb.yaml');
    assert.equal(decodeTaskFile(Buffer.from('steps: [é]'), issues), 'steps: [é]');
    assert.equal(decodeTaskFile(Buffer.from([...Buffer.from('a: é\nb: '), 0xc3, 0x28]), issues), undefined);
    assert.deepEqual(issues.items.map((i) => [i.line, i.column]), [[2, 4]]);
    assert.match(issues.items[0]!.message, /not UTF-8 \(byte 0xc3 at offset 9\)/);
  });

  for (const [name, bytes, at] of [
    ['a truncated sequence', [0x61, 0xe2, 0x82], 1],
    ['an overlong encoding', [0x61, 0x62, 0xc0, 0xaf], 2],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], 0],
    ['a stray continuation byte', [0x61, 0x80], 1],
  ] as const) {
    it(`finds ${name}`, () => assert.equal(firstInvalidUtf8(new Uint8Array(bytes)), at));
  }
});
