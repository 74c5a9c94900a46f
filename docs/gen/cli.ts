import type { Argument, Command, Option } from 'commander';
import { buildProgram } from '../../cli/program.js';
import { cell, code, page, plain, table } from './markdown.js';

/**
 * The `agent-telemetry` command tree as `cli/main.ts` builds it, wired to nothing: a command that
 * ran would fail at once, and building the tree runs none.
 */
export function inertProgram(): Command {
  const refuse = (): never => {
    throw new Error('the reference pages are generated without running a command');
  };
  return buildProgram({
    context: refuse,
    runService: () => Promise.reject(new Error('the reference pages are generated without services')),
    env: {},
    // nothing runs, so nothing is written
    out: process.stdout,
    err: process.stderr,
  });
}

/** Text a command adds after its help (`addHelpText('after', …)`): examples, exit codes. */
function helpAfter(command: Command): string {
  let printed = '';
  const capture = (text: string): void => {
    printed += text;
  };
  command.configureOutput({ writeOut: capture, writeErr: capture });
  command.outputHelp();
  const help = command.helpInformation();
  const at = printed.indexOf(help);
  if (at === -1) throw new Error(`the help of ${command.name()} does not contain its own usage`);
  return printed.slice(at + help.length).trim();
}

function argumentName(argument: Argument): string {
  const name = `${argument.name()}${argument.variadic ? '...' : ''}`;
  return argument.required ? `<${name}>` : `[${name}]`;
}

function defaultText(value: unknown): string {
  return value === undefined ? '' : code(JSON.stringify(value));
}

function choices(values: readonly string[] | undefined): string {
  return values === undefined ? '' : ` (one of: ${values.join(', ')})`;
}

function usage(path: string, command: Command): string {
  const args = command.registeredArguments.map(argumentName).join(' ');
  const options = command.options.length > 0 ? ' [options]' : '';
  const sub = command.commands.length > 0 ? ' <command>' : '';
  return `${path}${options}${sub}${args === '' ? '' : ` ${args}`}`;
}

function commandBlocks(command: Command, parents: readonly string[]): string[] {
  const path = [...parents, command.name()].join(' ');
  const depth = Math.min(parents.length + 1, 4);
  const lines = [`${'#'.repeat(depth + 1)} ${code(path)}`, '', plain(command.description())];
  if (command.aliases().length > 0) lines.push('', `Aliases: ${command.aliases().map(code).join(', ')}.`);
  lines.push('', '```', usage(path, command), '```');
  if (command.registeredArguments.length > 0) {
    lines.push(
      '',
      table(
        ['argument', 'required', 'default', 'meaning'],
        command.registeredArguments.map((argument) => [
          code(argumentName(argument)),
          argument.required ? 'yes' : 'no',
          defaultText(argument.defaultValue),
          cell(plain(`${argument.description}${choices(argument.argChoices)}`)),
        ]),
      ),
    );
  }
  const options = command.options.filter((option: Option) => !option.hidden);
  if (options.length > 0) {
    lines.push(
      '',
      table(
        ['option', 'default', 'meaning'],
        options.map((option) => [
          code(option.flags),
          defaultText(option.defaultValue),
          cell(
            plain(
              `${option.description}${choices(option.argChoices)}${option.mandatory ? ' (required)' : ''}` +
                (option.envVar === undefined ? '' : ` (env ${option.envVar})`),
            ),
          ),
        ]),
      ),
    );
  }
  const after = helpAfter(command);
  if (after !== '') lines.push('', '```text', after, '```');
  return [
    lines.join('\n'),
    ...command.commands.flatMap((sub) => commandBlocks(sub, [...parents, command.name()])),
  ];
}

function summaryRows(command: Command, parents: readonly string[]): string[][] {
  return command.commands.flatMap((sub) => {
    const path = [...parents, sub.name()].join(' ');
    const firstSentence = sub.description().split(/(?<=\.)\s|\n/)[0] ?? '';
    return [[code(path), cell(plain(firstSentence))], ...summaryRows(sub, [...parents, sub.name()])];
  });
}

/** `docs/reference/cli.md`: every command and subcommand of `agent-telemetry`. */
export function renderCliReference(program: Command): string {
  const root = program.name();
  const blocks = [
    `${plain(program.description())} The one binary, ${code(root)}, built by ${code('cli/program.ts')}; ` +
      'every command reads its configuration from the environment (see [configuration](configuration.md)) ' +
      'when it runs. `--help` after any command prints the same text as below.',
    table(['command', 'what it does'], summaryRows(program, [root])),
    ...program.commands.flatMap((command) => commandBlocks(command, [root])),
  ];
  return page('cli/program.ts', `${code(root)} command line`, blocks);
}
