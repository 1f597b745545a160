// The task-file template engine against Go's text/template with Sprig, as ACR runs it (missingkey=zero,
// then every "<no value>" removed): each case is what acr-builder's engine renders for the same input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderGoTemplate } from '../../src/taskfile/go-template/exec.js';
import { GoTemplateError } from '../../src/taskfile/go-template/lex.js';

const data = {
  Run: { ID: 'cf1', Registry: 'myreg.azurecr.io', RegistryName: 'myreg', Branch: 'main', Commit: '' },
  Values: { tag: 'v1', name: 'Hello', n: 3, zero: 0, flag: true, list: ['a', 'b', 'c'], map: { b: 2, a: 1 }, nested: { deep: 'x' }, empty: '', nil: null },
  Secrets: {},
};

const cases: [string, string, string][] = [
  ['plain text', 'no actions here', 'no actions here'],
  ['a field', '{{.Run.ID}}', 'cf1'],
  ['spaces inside', '{{ .Run.Registry }}/app:{{ .Values.tag }}', 'myreg.azurecr.io/app:v1'],
  ['a missing value renders empty (missingkey=zero, <no value> removed)', '[{{.Values.nope}}]', '[]'],
  ['a missing run variable renders empty', '[{{.Run.GitTag}}]', '[]'],
  ['a nil value renders empty', '[{{.Values.nil}}]', '[]'],
  ['an empty string', '[{{.Values.empty}}]', '[]'],
  ['numbers and booleans', '{{.Values.n}} {{.Values.flag}} {{.Values.zero}}', '3 true 0'],
  ['a list prints as Go does', '{{.Values.list}}', '[a b c]'],
  ['a map prints with sorted keys', '{{.Values.map}}', 'map[a:1 b:2]'],
  ['nested fields', '{{.Values.nested.deep}}', 'x'],
  ['trim before', 'a  \n  {{- .Values.tag}}', 'av1'],
  ['trim after', '{{.Values.tag -}}  \n  b', 'v1b'],
  ['trim both', 'a {{- "x" -}} b', 'axb'],
  ['a minus without a space is a number', '{{-3}}', '-3'],
  ['comments print nothing', 'a{{/* a comment */}}b', 'ab'],
  ['trimmed comments', 'a {{- /* c */ -}} b', 'ab'],
  ['variables', '{{ $v := "x" }}[{{ $v }}]', '[x]'],
  ['assignment', '{{ $v := "x" }}{{ $v = "y" }}{{ $v }}', 'y'],
  ['$ is the data', '{{with .Values}}{{$.Run.ID}}-{{.tag}}{{end}}', 'cf1-v1'],
  ['if', '{{if .Values.flag}}yes{{end}}', 'yes'],
  ['if else', '{{if .Values.empty}}yes{{else}}no{{end}}', 'no'],
  ['else if', '{{if .Values.zero}}a{{else if .Values.n}}b{{else}}c{{end}}', 'b'],
  ['an empty list is false', '{{if .Values.nope}}a{{else}}b{{end}}', 'b'],
  ['range over a list', '{{range .Values.list}}<{{.}}>{{end}}', '<a><b><c>'],
  ['range with index and element', '{{range $i, $e := .Values.list}}{{$i}}={{$e}} {{end}}', '0=a 1=b 2=c '],
  ['range over a map, in key order', '{{range $k, $v := .Values.map}}{{$k}}{{$v}}{{end}}', 'a1b2'],
  ['range else', '{{range .Values.nope}}x{{else}}none{{end}}', 'none'],
  ['range break', '{{range .Values.list}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', 'a'],
  ['range continue', '{{range .Values.list}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', 'ac'],
  ['a variable declared in range is gone after it', '{{$x := "out"}}{{range .Values.list}}{{$x := .}}{{end}}{{$x}}', 'out'],
  ['an assignment in range reaches the outer variable', '{{$x := "out"}}{{range .Values.list}}{{$x = .}}{{end}}{{$x}}', 'c'],
  ['with sets dot', '{{with .Values.nested}}{{.deep}}{{end}}', 'x'],
  ['with else', '{{with .Values.nope}}x{{else}}none{{end}}', 'none'],
  ['pipelines put the value last', '{{.Values.name | lower | quote}}', '"hello"'],
  ['default for a missing value', '{{.Values.nope | default "latest"}}', 'latest'],
  ['default keeps a given value', '{{.Values.tag | default "latest"}}', 'v1'],
  ['default for an empty string and zero', '{{.Values.empty | default "d"}} {{.Values.zero | default 7}}', 'd 7'],
  ['upper, trim, replace', '{{upper "ab"}} [{{trim "  x  "}}] {{replace "-" "_" "a-b-c"}}', 'AB [x] a_b_c'],
  ['trimSuffix, trimPrefix', '{{trimSuffix ".io" .Run.Registry}} {{trimPrefix "my" "myreg"}}', 'myreg.azurecr reg'],
  ['quote and squote', '{{quote "a\\"b"}} {{squote "x"}}', '"a\\"b" \'x\''],
  ['b64enc and b64dec', '{{b64enc "hello"}} {{"aGVsbG8=" | b64dec}}', 'aGVsbG8= hello'],
  ['contains, hasPrefix', '{{contains "reg" .Run.Registry}} {{hasPrefix "myreg" .Run.Registry}}', 'true true'],
  ['printf', '{{printf "%s-%d-%v" "a" 3 true}}', 'a-3-true'],
  ['printf %q and width', '{{printf "%q|%5s|%-3d|" "x" "ab" 7}}', '"x"|   ab|7  |'],
  ['print', '{{print "a" 1 2 "b"}}', 'a1 2b'],
  ['len, index', '{{len .Values.list}} {{index .Values.list 1}} {{index .Values.map "b"}}', '3 b 2'],
  ['eq with several', '{{if eq .Values.tag "v0" "v1"}}y{{end}}', 'y'],
  ['ne, lt, ge', '{{ne 1 2}} {{lt 1 2}} {{ge "b" "a"}}', 'true true true'],
  ['and, or, not', '{{and 1 "x"}} {{or "" "y"}} {{not .Values.flag}}', 'x y false'],
  ['or short-circuits', '{{or .Values.tag (index .Values.list 9)}}', 'v1'],
  ['parenthesised', '{{(printf "%s:%s" "a" "b") | upper}}', 'A:B'],
  ['a field of a parenthesised value', '{{(.Values.nested).deep}}', 'x'],
  ['ternary', '{{ternary "y" "n" .Values.flag}}', 'y'],
  ['arithmetic', '{{add 1 2 3}} {{sub 5 2}} {{mul 2 3}} {{div 7 2}} {{mod 7 2}}', '6 3 6 3 1'],
  ['list and join', '{{list "a" "b" | join ","}}', 'a,b'],
  ['splitList', '{{range splitList "," "x,y"}}[{{.}}]{{end}}', '[x][y]'],
  ['dict and get', '{{$d := dict "k" "v"}}{{get $d "k"}} {{hasKey $d "k"}}', 'v true'],
  ['toJson', '{{toJson .Values.map}}', '{"b":2,"a":1}'],
  ['indent and nindent', '{{indent 2 "a\\nb"}}|{{nindent 1 "c"}}', '  a\n  b|\n c'],
  ['title', '{{title "hello world"}}', 'Hello World'],
  ['trunc', '{{trunc 3 "abcdef"}} {{trunc -2 "abcdef"}}', 'abc ef'],
  ['regexReplaceAll', '{{regexReplaceAll "[aeiou]" "template" "_"}}', 't_mpl_t_'],
  ['sha256sum', '{{sha256sum "a"}}', 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb'],
  ['raw strings', '{{`a\\nb`}}', 'a\\nb'],
  ['a literal <no value> is removed too, as ACR removes every one', 'x<no value>y', 'xy'],
];

describe('Go templates as ACR renders them', () => {
  for (const [name, src, want] of cases) {
    it(name, () => assert.equal(renderGoTemplate(src, data), want));
  }
});

const errors: [string, string, RegExp][] = [
  ['an unknown function is refused wherever it is', '{{if false}}{{nosuch 1}}{{end}}', /function "nosuch" not defined/],
  ['env is not the task file’s to read', '{{env "HOME"}}', /function "env" is not available in task files/],
  ['a field of a missing value is an error, as in Go', '{{.Values.nope.deeper}}', /nil pointer evaluating interface \{\}\.deeper/],
  ['a field of a string', '{{.Values.tag.x}}', /can't evaluate field x in type string/],
  ['an unclosed action', 'a {{ .Run.ID', /unclosed template action/],
  ['a missing end', '{{if .Values.flag}}x', /missing \{\{end\}\}|without \{\{end\}\}/],
  ['an extra end', 'x{{end}}', /unexpected \{\{end\}\}/],
  ['an undefined variable', '{{$nope}}', /undefined variable "\$nope"/],
  ['arguments to a non-function', '{{.Values.tag "x"}}', /is not a method but has arguments/],
  ['comparing a string with a number', '{{lt "a" 1}}', /incompatible types for comparison/],
  ['break outside range', '{{break}}', /outside \{\{range\}\}/],
  ['define is not supported', '{{define "x"}}{{end}}', /not supported/],
];

describe('Go template errors', () => {
  for (const [name, src, want] of errors) {
    it(name, () => assert.throws(() => renderGoTemplate(src, data), (err: unknown) => err instanceof GoTemplateError && want.test(err.message)));
  }
  it('stops a template that would run for ever', () => {
    assert.throws(() => renderGoTemplate('{{range 1000}}{{range 1000}}x{{end}}{{end}}', data, { maxSteps: 10_000 }), /more than 10000 steps/);
  });
});
