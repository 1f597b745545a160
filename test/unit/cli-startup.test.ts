// Which command lines load the task command group: all that may run, list or suggest it, and none of
// `build`, `runs` and `--version`, whose startup it would slow. The help output itself is tested in cli-args.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsTaskCommands } from '../../src/cli/program.js';

describe('needsTaskCommands', () => {
  const cases: [string[], boolean][] = [
    [['task', 'list'], true],
    [['--server', 'http://x:1', 'task', 'list'], true],
    [['--server=http://x:1', 'task', 'run', 'a'], true],
    [[], true],
    [['--help'], true],
    [['-h'], true],
    [['help'], true],
    [['help', 'task'], true],
    [['tsak'], true], // a typo: commander suggests from every command
    [['--', 'build'], true],
    [['build', '.', '-t', 'task'], false],
    [['build', '--help'], false],
    [['--server', 'task', 'build', '.'], false], // `task` is the value of --server here
    [['runs', 'list'], false],
    [['--version'], false],
    [['-V'], false],
    [['--server', 'http://x:1', '--version'], false],
  ];
  for (const [args, expected] of cases) {
    it(`${JSON.stringify(args)} → ${expected}`, () => assert.equal(needsTaskCommands(args), expected));
  }
});
