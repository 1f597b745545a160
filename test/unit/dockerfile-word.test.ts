// Conformance of the variable-substitution port with BuildKit's shell lexer: the cases of
// moby/buildkit frontend/dockerfile/shell/envVarTest and lex_test.go (Apache-2.0), plus what Slipway adds on
// top (unresolved names, symbolic platform variables, limits).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MatchBudget } from '../../src/dockerfile/glob.js';
import { type Binding, ExpansionError, type WordEnv, expandWord, showSymbols } from '../../src/dockerfile/word.js';

const env = (vars: Record<string, string>, symbolic: string[] = [], tainted: Record<string, string> = {}): WordEnv => ({
  lookup: (name): Binding =>
    Object.hasOwn(vars, name)
      ? { value: vars[name]! }
      : Object.hasOwn(tainted, name)
        ? { value: tainted[name]!, tainted: true }
        : symbolic.includes(name)
          ? 'symbolic'
          : 'unset',
});
const expand = (word: string, e: WordEnv, escape = '\\') => expandWord(word, escape, e, new MatchBudget(1_000_000));

// envVarTest, "A" and "U" lines: input | expected ("error" for an error). Unset names expand to '' (and are reported).
// `$\{` stands for `${`, which a template literal would interpolate.
const ENV_VAR_TEST = String.raw`
hello                    |     hello
he'll'o                  |     hello
he'llo                   |     error
he\'llo                  |     he'llo
he\\'llo                 |     error
abc\tdef                 |     abctdef
"abc\tdef"               |     abc\tdef
"abc\\tdef"              |     abc\tdef
'abc\tdef'               |     abc\tdef
hello\                   |     hello
hello\\                  |     hello\
"hello                   |     error
"hello\"                 |     error
"hel'lo"                 |     hel'lo
'hello                   |     error
'hello\'                 |     hello\
'hello\there'            |     hello\there
'hello\\there'           |     hello\\there
"''"                     |     ''
$.                       |     $.
he$1x                    |     hex
he$.x                    |     he$.x
he$pwd.                  |     he.
he$PWD                   |     he/home
he\$PWD                  |     he$PWD
he\\$PWD                 |     he\/home
"he\$PWD"                |     he$PWD
"he\\$PWD"               |     he\/home
\$\{}                     |     $\{}
\$\{}aaa                  |     $\{}aaa
he\$\{}                   |     he$\{}
he\$\{}xx                 |     he$\{}xx
$\{}                      |     error
$\{}aaa                   |     error
he$\{}                    |     error
he$\{}xx                  |     error
he$\{hi}                  |     he
he$\{hi}xx                |     hexx
he$\{PWD}                 |     he/home
he$\{.}                   |     error
he$\{XXX:-000}xx          |     he000xx
he$\{PWD:-000}xx          |     he/homexx
he$\{XXX:-$PWD}xx         |     he/homexx
he$\{XXX:-$\{PWD:-yyy}}xx  |     he/homexx
he$\{XXX:-$\{YYY:-yyy}}xx  |     heyyyxx
he$\{XXX:YYY}             |     error
he$\{XXX?}                |     error
he$\{XXX:?}               |     error
he$\{PWD?}                |     he/home
he$\{PWD:?}               |     he/home
he$\{NULL?}               |     he
he$\{NULL:?}              |     error
he$\{XXX:+$\{PWD}}xx       |     hexx
he$\{PWD:+$\{XXX}}xx       |     hexx
he$\{PWD:+$\{SHELL}}xx     |     hebashxx
he$\{XXX:+000}xx          |     hexx
he$\{PWD:+000}xx          |     he000xx
'he$\{XX}'                |     he$\{XX}
"he$\{PWD}"               |     he/home
"he'$PWD'"               |     he'/home'
"$PWD"                   |     /home
'$PWD'                   |     $PWD
'\$PWD'                  |     \$PWD
'"hello"'                |     "hello"
he\$PWD                  |     he$PWD
"he\$PWD"                |     he$PWD
'he\$PWD'                |     he\$PWD
he$\{PWD                  |     error
he$\{PWD:=000}xx          |     error
he$\{PWD:+$\{PWD}:}xx      |     he/home:xx
he$\{XXX:-\$PWD:}xx       |     he$PWD:xx
he$\{XXX:-\$\{PWD}z}xx     |     he$\{PWDz}xx
안녕하세요                 |     안녕하세요
안'녕'하세요               |     안녕하세요
안'녕하세요                |     error
안녕\'하세요               |     안녕'하세요
안녕$1x                    |     안녕x
안녕$\{XXX:-$\{YYY:-yyy}}xx  |     안녕yyyxx
$KOREAN                    |     한국어
안녕$KOREAN                |     안녕한국어
$\{{aaa}                   |     error
$\{aaa}}                   |     }
$\{aaa                     |     error
$\{{aaa:-bbb}              |     error
$\{aaa:-bbb}}              |     bbb}
$\{aaa:-bbb                |     error
$\{aaa:-bbb}               |     bbb
$\{aaa:-$\{bbb:-ccc}}       |     ccc
$\{aaa:-bbb $\{foo}         |     error
$\{aaa:-bbb {foo}          |     bbb {foo
$\{:}                      |     error
$\{:-bbb}                  |     error
$\{:+bbb}                  |     error
$1                        |
$\{1}                      |
$\{1:+bbb}                 |
$\{1:-bbb}                 |     bbb
`.replaceAll('$\\{', '${');

describe('expandWord: BuildKit envVarTest', () => {
  const e = env({ PWD: '/home', SHELL: 'bash', KOREAN: '한국어', NULL: '' });
  for (const line of ENV_VAR_TEST.trim().split('\n')) {
    const [input, expected] = line.split('|').map((s) => s.trim()) as [string, string];
    it(`${input} → ${expected || "''"}`, () => {
      if (expected === 'error') assert.throws(() => expand(input, e), ExpansionError);
      else assert.equal(expand(input, e).value, expected);
    });
  }
});

// lex_test.go TestProcessWithMatches: [input, env, expected or Error].
const MATCHES: [string, Record<string, string>, string | typeof Error][] = [
  ['x ${UNUSED}', { DUMMY: 'dummy' }, 'x '],
  ['${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', { FOO: 'xxx', BAR: '' }, 'xxx  ccc'],
  ['${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', { FOO: 'xxx', BAR: '' }, 'xxx bbb ccc'],
  ['${FOO:-}', { FOO: 'xxx' }, 'xxx'],
  ['${FOO:-}', {}, ''],
  ['${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', { FOO: 'xxx', BAR: '' }, 'aaa bbb '],
  ['${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', { FOO: 'xxx', BAR: '' }, 'aaa  '],
  ['${FOO?aaa}', { FOO: 'xxx', BAR: '' }, 'xxx'],
  ['${BAR?bbb}', { FOO: 'xxx', BAR: '' }, ''],
  ['${BAZ?ccc}', { FOO: 'xxx', BAR: '' }, Error],
  ['${FOO:?aaa}', { FOO: 'xxx', BAR: '' }, 'xxx'],
  ['${BAR:?bbb}', { FOO: 'xxx', BAR: '' }, Error],
  ['${BAZ:?ccc}', { FOO: 'xxx', BAR: '' }, Error],
  ['${BAZ:?}', { FOO: 'xxx', BAR: '' }, Error],
  ['${FOO=aaa}', { FOO: 'xxx' }, Error],
  ['${FOO=:aaa}', { FOO: 'xxx' }, Error],
  ['${FOO=}', {}, Error],
  ['${FOO#()[]{\\}^$.\\*\\?|\\\\}', { FOO: '()[]{}^$.*?|\\x' }, 'x'],
  ['${FOO%%\\**}', { FOO: 'xx**' }, 'xx'],
  ['${FOO#*x*y}', { FOO: 'xxyy' }, 'y'],
  ['${FOO#*}', { FOO: 'xxyy' }, 'xxyy'],
  ['${FOO#$BAR}', { FOO: 'xxyy', BAR: 'x' }, 'xyy'],
  ['${FOO#$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy'],
  ['${FOO#}', { FOO: 'xxyy' }, 'xxyy'],
  ['${FOO##*x}', { FOO: 'xxyy' }, 'yy'],
  ['${FOO##}', { FOO: 'xxyy' }, 'xxyy'],
  ['${FOO#?\\?}', { FOO: '???y' }, '?y'],
  ['${ABC:-.}${FOO%x}${ABC:-.}', { FOO: 'xxyy' }, '.xxyy.'],
  ['${FOO%%\\**\\*}', { FOO: 'a***yy*' }, 'a'],
  ['${FOO%}', { FOO: 'xxyy' }, 'xxyy'],
  ['${FOO%%$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy'],
  ['${FOO:#}', {}, Error],
  ['${FOO:##}', {}, Error],
  ['${FOO:%}', {}, Error],
  ['${FOO:%%}', {}, Error],
  ['${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, '/foo.*/*.txt - /foo..*.txt'],
  ['${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, '/tmp/bar.txt - /bar.txt'],
  ['${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' }, '/foo/b/c.txt - /foo/c.txt'],
  ['${FOO/$NEEDLE/$REPLACEMENT}', { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' }, 'https://google.de'],
  ['${FOO//\\//\\/}', { FOO: '/tmp/foo.txt' }, '\\/tmp\\/foo.txt'],
  ['${FOO/$BAR/ww}', { FOO: 'xxyy', BAR: '' }, 'wwxxyy'],
  ['${FOO//ww}', { FOO: 'xxyy' }, Error],
  ['${FOO//}', { FOO: 'xxyy' }, Error],
  ['${FOO///}', { FOO: 'xxyy' }, 'xxyy'],
  ['${FOO///}', {}, ''],
];

describe('expandWord: BuildKit lex_test.go patterns', () => {
  for (const [input, vars, expected] of MATCHES) {
    it(`${input} with ${JSON.stringify(vars)}`, () => {
      if (expected === Error) assert.throws(() => expand(input, env(vars)), ExpansionError);
      else assert.equal(expand(input, env(vars)).value, expected);
    });
  }
});

describe('expandWord: what Slipway adds', () => {
  it('reports the unset names whose value was used, not those in unused defaults', () => {
    const e = env({ SET: 'v' });
    assert.deepEqual([...expand('$A ${B} ${C#x} ${D/a/b}', e).unresolved].sort(), ['A', 'B', 'C', 'D']);
    assert.deepEqual([...expand('${SET:-$A} ${SET:+$B} ${U:-$C} ${U:+$D} ${U:-x}', e).unresolved], ['B', 'C']);
    assert.deepEqual([...expand('${U:-${V:-${W}}}', e).unresolved], ['W']);
  });

  // A tainted name has the value BuildKit gives it (built from unset names as ''); it is reported only
  // where that text ends up in the result, not where only its being set or empty decides.
  for (const [word, value, expected, unresolved] of [
    ['${T:-x}', '', 'x', []],
    ['${T-x}', '', '', ['T']],
    ['${T+x}', '', 'x', []],
    ['${T:+x}', '', '', []],
    ['${T}', '', '', ['T']],
    ['$T', 'v', 'v', ['T']],
    ['${T:-x}', 'v', 'v', ['T']],
    ['${T#v}', 'v1', '1', ['T']],
    ['${T/v/w}', 'v1', 'w1', ['T']],
  ] as const) {
    it(`tainted T=${JSON.stringify(value)}: ${word} is ${JSON.stringify(expected)}${unresolved.length ? ', reported' : ''}`, () => {
      const result = expand(word, env({}, [], { T: value }));
      assert.equal(result.value, expected);
      assert.deepEqual([...result.unresolved], unresolved);
    });
  }

  it('symbolic names stay as written', () => {
    const e = env({ OS: 'linux' }, ['TARGETARCH', 'TARGETPLATFORM']);
    for (const [input, shown] of [
      ['$TARGETPLATFORM', '$TARGETPLATFORM'],
      ['${TARGETPLATFORM}', '${TARGETPLATFORM}'],
      ['$OS/${TARGETARCH}', 'linux/${TARGETARCH}'],
      ['${TARGETARCH:-amd64}', '${TARGETARCH:-amd64}'],
      ['${TARGETARCH:-$OS}', '${TARGETARCH:-linux}'],
      ['${TARGETPLATFORM#linux/}', '${TARGETPLATFORM#linux/}'],
      ['${TARGETPLATFORM//\\//-}', '${TARGETPLATFORM//\\//-}'],
    ]) {
      const result = expand(input!, e);
      assert.equal(showSymbols(result.value), shown, input);
      assert.equal(result.unresolved.size, 0, input);
    }
  });

  it('the escape token can be a backtick', () => {
    const e = env({ V: '1' });
    assert.equal(expand('a`$V\\x', e, '`').value, 'a$V\\x');
    assert.equal(expand('"a`"b"', e, '`').value, 'a"b');
  });

  it('limits nesting depth and result length', () => {
    let deep = 'x';
    for (let i = 0; i < 40; i++) deep = `\${A:-${deep}}`;
    assert.throws(() => expand(deep, env({})), /nested more than 32 deep/);
    assert.throws(() => expand('$A$A$A$A$A', env({ A: 'x'.repeat(20_000) })), /expands to more than 65536 characters/);
  });

  it('rejects the private-use characters that mark symbols', () => {
    assert.throws(() => expand('a\uE000b', env({})), ExpansionError);
  });
});
