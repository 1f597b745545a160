// The options of the commands that follow a run (build, run, task run): how its log is shown and how its
// result is printed, as `docker buildx build` takes them. Kept apart from run-output.ts, which the commands
// load when they run: this module is on every command's startup path and loads only commander.
import { Option, type Command } from 'commander';

export function watchOptions(command: Command): Command {
  return command
    .option('--no-logs', 'do not print the log; just wait for the outcome')
    .option('--no-wait', 'print the run id and exit without waiting')
    .option('-q, --quiet', 'print only the pushed image@digest (or the run id with --no-wait)')
    .addOption(new Option('--progress <mode>', 'how the log is shown on stderr (default: auto: tty on a terminal, else plain)').choices(['auto', 'plain', 'tty', 'quiet', 'rawjson']))
    .option('--json', 'print the finished run as JSON on stdout');
}

/**
 * `-o json`, az's spelling, beside `--json` on every command that has it; the preAction hook (program.ts)
 * turns one into the other, so the commands read only `json`.
 */
export function addOutputOptions(command: Command): void {
  if (command.options.some((o) => o.long === '--json') && !command.options.some((o) => o.long === '--output')) {
    command.addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'text']));
  }
  for (const sub of command.commands) addOutputOptions(sub);
}

export function applyOutputOption(command: Command): void {
  if (command.getOptionValue('output') === 'json') command.setOptionValue('json', true);
}
