// Table tests of the pure Dockerfile word handling behind Windows assembly: variable substitution and quotes
// (BuildKit's lexer semantics, both escape characters), argument splitting, and Windows path resolution.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MatchBudget } from '../../src/dockerfile/glob.js';
import { parseWords } from '../../src/dockerfile/logical-line.js';
import { parseJsonForm, splitBlanks, splitPairs } from '../../src/dockerfile/windows/instruction-args.js';
import { leadingFlags } from '../../src/dockerfile/windows/plan.js';
import { ExpansionError, expandWord as expandDockerfileWord } from '../../src/dockerfile/word.js';
import { escapeSwallowsSeparator } from '../../workers/builder/windows/escape-warning.js';
import { WindowsPathError, formatWindowsPath, layerEntryName, namesDirectory, resolveWindowsPath } from '../../workers/builder/windows/windows-paths.js';

const vars: Record<string, string> = { APP: 'C:\\app', NAME: 'svc', EMPTY: '', FILE: 'archive.tar.gz', PATHS: 'a/b/c' };
/** As Windows assembly expands a word: a variable without a value is unset, and reads as ''. */
const expandWord = (word: string, escape: string) =>
  expandDockerfileWord(word, escape, { lookup: (name) => (vars[name] === undefined ? 'unset' : { value: vars[name]! }) }, new MatchBudget(1_000_000)).value;

describe('expandWord', () => {
  const cases: [word: string, escape: string, expected: string][] = [
    ['plain', '\\', 'plain'],
    ['$NAME', '\\', 'svc'],
    ['${NAME}-1', '\\', 'svc-1'],
    ['$NAME.exe', '\\', 'svc.exe'],
    ['$MISSING', '\\', ''],
    ['cost: $', '\\', 'cost: $'],
    ['${MISSING:-dflt}', '\\', 'dflt'],
    ['${EMPTY:-dflt}', '\\', 'dflt'],
    ['${EMPTY-dflt}', '\\', ''],
    ['${NAME:+set}', '\\', 'set'],
    ['${MISSING:+set}', '\\', ''],
    ['${EMPTY+set}', '\\', 'set'],
    ['${FILE%.*}', '\\', 'archive.tar'],
    ['${FILE%%.*}', '\\', 'archive'],
    ['${FILE#*.}', '\\', 'tar.gz'],
    ['${FILE##*.}', '\\', 'gz'],
    ['${PATHS/\\//-}', '\\', 'a-b/c'],
    ['${PATHS//\\//-}', '\\', 'a-b-c'],
    ["'$NAME'", '\\', '$NAME'],
    ['"$NAME and more"', '\\', 'svc and more'],
    ['"a \\"quoted\\" b"', '\\', 'a "quoted" b'],
    ['\\$NAME', '\\', '$NAME'],
    // The default escape eats Windows separators outside double quotes — Docker does the same.
    ['C:\\app\\bin', '\\', 'C:appbin'],
    ['"C:\\Program Files\\x"', '\\', 'C:\\Program Files\\x'],
    ['C:\\\\app', '\\', 'C:\\app'],
    ['trailing\\', '\\', 'trailing'],
    // With `# escape=\`` backslashes are ordinary characters.
    ['C:\\app\\bin', '`', 'C:\\app\\bin'],
    ['$APP\\bin', '`', 'C:\\app\\bin'],
    ['`$NAME', '`', '$NAME'],
    ['"a `"b`" c"', '`', 'a "b" c'],
    ['${NAME}', '`', 'svc'],
    ['$1', '\\', ''],
    ['${name}', '\\', ''],
  ];
  for (const [word, escape, expected] of cases) {
    it(`${JSON.stringify(word)} with escape ${escape} → ${JSON.stringify(expected)}`, () => {
      assert.equal(expandWord(word, escape), expected);
    });
  }

  const errors: [word: string, message: RegExp][] = [
    ['"unterminated', /double-quote/],
    ["'unterminated", /single-quote/],
    ['${NAME', /missing '}'/],
    ['${}', /bad substitution/],
    ['${MISSING:?must be set}', /MISSING: must be set/],
    ['${MISSING?}', /MISSING: is not allowed to be unset/],
    ['${NAME:#x}', /unsupported modifier/],
  ];
  for (const [word, message] of errors) {
    it(`rejects ${JSON.stringify(word)}`, () => {
      assert.throws(() => expandWord(word, '\\'), (err: unknown) => err instanceof ExpansionError && message.test(err.message));
    });
  }
});

describe('escapeSwallowsSeparator', () => {
  const cases: [word: string, escape: string, swallows: boolean][] = [
    ['C:\\app', '\\', true],
    ['C:\\\\app', '\\', false],
    ['"C:\\Program Files\\x"', '\\', false],
    ["'C:\\app'", '\\', false],
    ['C:/app', '\\', false],
    ['\\$HOME', '\\', false],
    ['C:\\app', '`', false],
    ['`n', '`', true],
  ];
  for (const [word, escape, swallows] of cases) {
    it(`${JSON.stringify(word)} with escape ${escape}: ${swallows}`, () => assert.equal(escapeSwallowsSeparator(word, escape), swallows));
  }
});

describe('argument splitting', () => {
  it('splits leading flags and keeps the rest', () => {
    assert.deepEqual(leadingFlags('--link --chown=a:b  src dst', '\\', 1), {
      flags: [
        { name: 'link', line: 1 },
        { name: 'chown', value: 'a:b', line: 1 },
      ],
      rest: 'src dst',
    });
    assert.deepEqual(leadingFlags('src --link', '\\', 1), { flags: [], rest: 'src --link' });
  });

  it('tells the JSON form from the shell form', () => {
    assert.deepEqual(parseJsonForm('["a b", "C:\\\\app\\\\"]'), ['a b', 'C:\\app\\']);
    assert.equal(parseJsonForm('echo [not json'), undefined);
    assert.equal(parseJsonForm('[broken'), undefined);
    assert.throws(() => parseJsonForm('["a", 1]'), /only strings/);
  });

  it('splits on blanks only, quotes included', () => {
    assert.deepEqual(splitBlanks('  a   "b c"\td '), ['a', '"b', 'c"', 'd']);
    assert.deepEqual(splitBlanks('   '), []);
  });

  it('keeps quotes and escapes in quote-aware words', () => {
    assert.deepEqual(parseWords('A="x y" B=z\\ w C=\'q r\'', '\\'), ['A="x y"', 'B=z\\ w', "C='q r'"]);
    assert.deepEqual(parseWords('P="C:\\Program Files" Q=`"', '`'), ['P="C:\\Program Files"', 'Q=`"']);
    assert.deepEqual(parseWords('E=""', '\\'), ['E=""']);
  });

  it('reads ENV pairs in both forms', () => {
    assert.deepEqual(splitPairs('A=1 B="two words"', '\\', 'ENV'), { pairs: [{ key: 'A', value: '1' }, { key: 'B', value: '"two words"' }], legacy: false });
    assert.deepEqual(splitPairs('GREETING hello  big world', '\\', 'ENV'), { pairs: [{ key: 'GREETING', value: 'hello  big world' }], legacy: true });
    assert.throws(() => splitPairs('A=1 B', '\\', 'ENV'), /can't find =/);
    assert.throws(() => splitPairs('ONLYKEY', '\\', 'ENV'), /two arguments/);
  });
});

describe('Windows paths', () => {
  const cases: [base: string[], input: string, expected: string][] = [
    [[], 'C:\\app', 'C:\\app'],
    [[], 'c:/app/bin/', 'C:\\app\\bin'],
    [[], '/app', 'C:\\app'],
    [[], '\\app', 'C:\\app'],
    [['app'], 'bin', 'C:\\app\\bin'],
    [['app'], 'C:bin', 'C:\\app\\bin'],
    [['app'], '..\\..\\x', 'C:\\x'],
    [['app'], 'C:\\', 'C:\\'],
    [['app'], '.', 'C:\\app'],
    [[], 'C:/Program Files/My App', 'C:\\Program Files\\My App'],
  ];
  for (const [base, input, expected] of cases) {
    it(`${JSON.stringify(input)} from C:\\${base.join('\\')} → ${expected}`, () => {
      assert.equal(formatWindowsPath(resolveWindowsPath(base, input)), expected);
    });
  }

  const refused: [input: string, message: RegExp][] = [
    ['D:\\data', /drive D:/],
    ['C:', /names no directory/],
    ['\\\\server\\share', /UNC/],
    ['C:\\app\\a<b', /character Windows does not allow/],
    ['C:\\app\\con', /reserved device name/],
    ['C:\\app\\NUL.txt', /reserved device name/],
    ['C:\\app\\name.', /ends with a space or a dot/],
    ['C:\\app\\.wh.config', /whiteout/],
  ];
  for (const [input, message] of refused) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(() => resolveWindowsPath([], input), (err: unknown) => err instanceof WindowsPathError && message.test(err.message));
    });
  }

  it('knows which destinations name a directory', () => {
    for (const dir of ['C:\\app\\', 'C:/app/', '.', 'bin/.', 'C:']) assert.equal(namesDirectory(dir), true, dir);
    for (const file of ['C:\\app', 'C:/app/x.txt', 'x']) assert.equal(namesDirectory(file), false, file);
  });

  it('maps C:\\ paths below Files/ in a layer', () => {
    assert.equal(layerEntryName(['app', 'x.txt']), 'Files/app/x.txt');
    assert.equal(layerEntryName([]), 'Files');
  });
});
