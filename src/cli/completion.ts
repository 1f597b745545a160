// `slipway completion bash|zsh|fish`: a completion script written from the command tree itself (commander has
// no completion of its own, and the packages that add one would put a dependency on every CLI start for a
// command run once at install). The tree is read when the command runs, so every command, option and option
// choice defined anywhere (task, token, hook…) is in the script, and a new one needs no change here.
import type { Command, Option } from 'commander';
import { UsageError } from './errors.js';
import type { CliIo } from './io.js';

export interface OptionNode {
  /** `--tag`, `-t`. */
  names: string[];
  takesValue: boolean;
  choices: string[];
  description: string;
}

export interface CommandNode {
  name: string;
  description: string;
  options: OptionNode[];
  commands: CommandNode[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

function optionNode(o: Option): OptionNode {
  return {
    names: [o.long, o.short].filter((n): n is string => Boolean(n)),
    takesValue: o.required || o.optional,
    choices: o.argChoices ?? [],
    description: o.description,
  };
}

/** The tree of `command`: its options (help included) and every subcommand's, recursively. */
export function commandTree(command: Command): CommandNode {
  const options = command.options.map(optionNode);
  options.push({ names: ['--help', '-h'], takesValue: false, choices: [], description: 'show help' });
  return {
    name: command.name(),
    description: command.description(),
    options,
    commands: command.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).map(commandTree),
  };
}

/** Every command with its path from the root (`''`, `task`, `task run`…). */
function paths(node: CommandNode, prefix = ''): [string, CommandNode][] {
  return [[prefix, node], ...node.commands.flatMap((c) => paths(c, prefix ? `${prefix} ${c.name}` : c.name))];
}

/** Shell-quoted for single quotes (bash, zsh and fish alike). */
const sq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const fishq = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The options that take a value, with the root's (global) ones: their value word is not a command. */
const valueOptions = (tree: CommandNode) => [...new Set(paths(tree).flatMap(([, n]) => n.options.filter((o) => o.takesValue).flatMap((o) => o.names)))];

export function bashScript(tree: CommandNode): string {
  const cases = paths(tree).map(([path, node]) => {
    const words = [...node.commands.map((c) => c.name), ...node.options.flatMap((o) => o.names)].join(' ');
    return `    ${sq(path)}) words=${sq(words)} ;;`;
  });
  const choices = paths(tree).flatMap(([path, node]) => node.options.filter((o) => o.choices.length).flatMap((o) => o.names.map((n) => `    ${sq(`${path}|${n}`)}) COMPREPLY=($(compgen -W ${sq(o.choices.join(' '))} -- "$cur")); return ;;`)));
  return `# slipway completion for bash: eval "$(slipway completion bash)", e.g. in ~/.bashrc
_slipway() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} path='' word i words
  local -A commands=(${paths(tree).filter(([p]) => p).map(([p]) => `[${sq(p)}]=1`).join(' ')})
  local value_options=' ${valueOptions(tree).join(' ')} '
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ $word == -* ]]; then
      [[ $value_options == *" $word "* ]] && ((i++))
      continue
    fi
    if [[ -n \${commands["\${path:+$path }$word"]} ]]; then path="\${path:+$path }$word"; fi
  done
  case "$path|$prev" in
${choices.join('\n')}
  esac
  if [[ $value_options == *" $prev "* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  case "$path" in
${cases.join('\n')}
    *) words='' ;;
  esac
  if [[ $cur == -* || -n $words ]]; then COMPREPLY=($(compgen -W "$words" -- "$cur")); fi
  if [[ \${#COMPREPLY[@]} -eq 0 && $cur != -* ]]; then COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -o filenames -F _slipway slipway
`;
}

export function zshScript(tree: CommandNode): string {
  const entry = (name: string, description: string) => sq(`${name.replaceAll(':', '\\:')}:${oneLine(description)}`);
  const cases = paths(tree).map(([path, node]) => {
    const commands = node.commands.map((c) => entry(c.name, c.description)).join(' ');
    const options = node.options.flatMap((o) => o.names.map((n) => entry(n, o.description))).join(' ');
    return `    ${sq(path)}) commands=(${commands}); options=(${options}) ;;`;
  });
  const choices = paths(tree).flatMap(([path, node]) => node.options.filter((o) => o.choices.length).flatMap((o) => o.names.map((n) => `    ${sq(`${path}|${n}`)}) compadd -- ${o.choices.map(sq).join(' ')}; return ;;`)));
  return `#compdef slipway
# slipway completion for zsh: slipway completion zsh > "\${fpath[1]}/_slipway", or eval "$(slipway completion zsh)"
_slipway() {
  local path='' word prev=\${words[CURRENT-1]} i
  local -a commands options
  local -A known=(${paths(tree).filter(([p]) => p).map(([p]) => `${sq(p)} 1`).join(' ')})
  local value_options=' ${valueOptions(tree).join(' ')} '
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
    if [[ $word == -* ]]; then
      [[ $value_options == *" $word "* ]] && ((i++))
      continue
    fi
    if [[ -n \${known[\${path:+$path }$word]} ]]; then path="\${path:+$path }$word"; fi
  done
  case "$path|$prev" in
${choices.join('\n')}
  esac
  if [[ $value_options == *" $prev "* ]]; then _files; return; fi
  case "$path" in
${cases.join('\n')}
  esac
  if [[ \${words[CURRENT]} == -* ]]; then _describe -t options option options; return; fi
  if (( \${#commands} )); then _describe -t commands command commands; else _files; fi
}
if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then _slipway "$@"; else compdef _slipway slipway; fi
`;
}

export function fishScript(tree: CommandNode): string {
  const lines = [
    '# slipway completion for fish: slipway completion fish > ~/.config/fish/completions/slipway.fish',
    'function __slipway_path',
    '    set -l words (commandline -opc)',
    `    set -l value_options ${valueOptions(tree).join(' ')}`,
    `    set -l known ${paths(tree).filter(([p]) => p).map(([p]) => fishq(p)).join(' ')}`,
    "    set -l path ''",
    '    set -l skip 0',
    '    for word in $words[2..-1]',
    '        if test $skip -eq 1; set skip 0; continue; end',
    "        if string match -q -- '-*' $word",
    '            contains -- $word $value_options; and set skip 1',
    '            continue',
    '        end',
    "        set -l next (string trim -- \"$path $word\")",
    '        contains -- $next $known; and set path $next',
    '    end',
    '    echo $path',
    'end',
    'complete -c slipway -f',
  ];
  for (const [path, node] of paths(tree)) {
    const when = `-n ${fishq(`test (__slipway_path) = ${fishq(path)}`)}`;
    for (const c of node.commands) lines.push(`complete -c slipway ${when} -a ${fishq(c.name)} -d ${fishq(oneLine(c.description))}`);
    for (const o of node.options) {
      const names = o.names.map((n) => (n.startsWith('--') ? `-l ${fishq(n.slice(2))}` : `-s ${fishq(n.slice(1))}`)).join(' ');
      const value = o.choices.length ? ` -x -a ${fishq(o.choices.join(' '))}` : o.takesValue ? ' -r -F' : '';
      lines.push(`complete -c slipway ${when} ${names}${value} -d ${fishq(oneLine(o.description))}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const SCRIPTS: Record<Shell, (tree: CommandNode) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export function addCompletionCommand(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description('print a shell completion script: bash, zsh or fish')
    .argument('<shell>', SHELLS.join(', '))
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`completion: ${JSON.stringify(shell.slice(0, 20))} is not a shell this knows; expected one of ${SHELLS.join(', ')}`);
      io.stdout.write(SCRIPTS[shell as Shell](commandTree(program)));
    });
}
