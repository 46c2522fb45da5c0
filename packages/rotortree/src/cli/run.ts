/**
 * The `rotortree` command line: parses arguments, runs one sub-command, reports errors, and
 * returns the exit code (see exit-codes.ts).
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { Command, OptionSpec } from './command.js';
import { appendCommand } from './commands/append.js';
import { benchCommand } from './commands/bench.js';
import { checkCommand } from './commands/check.js';
import { checkpointCommand } from './commands/checkpoint.js';
import { infoCommand } from './commands/info.js';
import { initCommand } from './commands/init.js';
import { proveCommand } from './commands/prove.js';
import { rootCommand } from './commands/root.js';
import { verifyCommand } from './commands/verify.js';
import { CliError, EXIT, reportOf } from './exit-codes.js';
import type { CliIo } from './output.js';
import { Output } from './output.js';
import { checkDirArgument } from './paths.js';

/** Every sub-command, in help order. */
export const COMMANDS: readonly Command[] = [
  initCommand,
  appendCommand,
  rootCommand,
  infoCommand,
  proveCommand,
  verifyCommand,
  checkCommand,
  checkpointCommand,
  benchCommand,
];

const GLOBAL: Readonly<Record<string, OptionSpec>> = {
  dir: { type: 'string', short: 'd', arg: 'path', help: 'the tree directory' },
  json: { type: 'boolean', help: 'print the result as one JSON object (errors too: {"error": {...}})' },
  progress: { type: 'boolean', help: 'show progress bars even when stderr is not a terminal' },
  'no-progress': { type: 'boolean', help: 'never show progress bars' },
  debug: { type: 'boolean', help: 'print stack traces of errors' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short === undefined ? '    ' : `-${o.short}, `}--${name}${o.arg === undefined ? '' : ` <${o.arg}>`}`;
    return `  ${flag.padEnd(26)} ${o.help}`;
  });
}

const EXIT_HELP = [
  'Exit codes:',
  '  0  ok (verify: valid; check: no damage)',
  '  1  verify: the proof is invalid or malformed (INVALID_PROOF)',
  '  2  usage: bad arguments or input (USAGE, INVALID_NODE, EMPTY_BATCH, INDEX_OUT_OF_RANGE)',
  '  3  another process holds the directory (FILE_LOCKED)',
  '  4  stored data is damaged (CORRUPTION)',
  '  5  the directory was created with other parameters (CONFIG_MISMATCH)',
  '  6  I/O error (IO, POISONED)',
  '  7  no tree in --dir (NO_TREE)',
  '  8  the tree is full (MAX_DEPTH_EXCEEDED)',
  ' 10  internal error (INTERNAL): run again with --debug and report it',
];

/** The help of `rotortree` (no command) or of one command. */
export function helpText(command?: Command): string {
  if (command === undefined) {
    return [
      `rotortree ${version()}: append-only n-ary Merkle trees that survive crashes`,
      '',
      'Usage: rotortree <command> --dir <path> [options]',
      '',
      'Commands:',
      ...COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(26)} ${c.summary}`),
      '',
      'Options of every command:',
      ...optionLines(GLOBAL),
      '',
      ...EXIT_HELP,
      '',
      'Errors are one line on stderr: "rotortree: <CODE>: message". `rotortree <command> --help` for more.',
    ].join('\n');
  }
  const own = Object.keys(command.options).length === 0 ? [] : ['', 'Options:', ...optionLines(command.options)];
  return [
    `Usage: rotortree ${command.name} ${command.dir === 'none' ? '' : command.dir === 'required' ? '--dir <path> ' : '[--dir <path>] '}${command.args}`.trimEnd(),
    '',
    command.summary,
    ...own,
    '',
    'Options of every command:',
    ...optionLines(GLOBAL),
  ].join('\n');
}

function parse(command: Command | undefined, argv: readonly string[]) {
  const options: ParseArgsConfig['options'] = {};
  for (const [name, o] of Object.entries({ ...GLOBAL, ...(command?.options ?? {}) })) {
    options[name] = o.short === undefined ? { type: o.type } : { type: o.type, short: o.short };
  }
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError('USAGE', err instanceof Error ? err.message.replace(/\. To specify a positional.*$/s, '') : String(err));
  }
}

/** Runs `rotortree` with `argv` (without node and the script) and resolves with the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const name = argv[0];
  const command = COMMANDS.find((c) => c.name === name);
  const rest = command === undefined ? argv : argv.slice(1);
  // Output flags are read leniently first, so that even a usage error honours --json and --debug.
  const loose = { json: rest.includes('--json'), debug: rest.includes('--debug') };
  let out = new Output(io, { ...loose, progress: undefined });
  try {
    if (name === '--version' || name === '-v') {
      io.stdout.write(`${version()}\n`);
      return EXIT.OK;
    }
    if (command === undefined) {
      if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
        io.stdout.write(`${helpText(name === 'help' && argv[1] !== undefined ? COMMANDS.find((c) => c.name === argv[1]) : undefined)}\n`);
        return name === undefined ? EXIT.USAGE : EXIT.OK;
      }
      throw new CliError('USAGE', `unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    }
    const { values, positionals } = parse(command, rest);
    const flag = (k: string): boolean => values[k] === true;
    out = new Output(io, { json: flag('json'), debug: flag('debug'), progress: flag('no-progress') ? false : flag('progress') ? true : undefined });
    if (flag('help')) {
      io.stdout.write(`${helpText(command)}\n`);
      return EXIT.OK;
    }
    const [min, max] = command.positionals;
    if (positionals.length < min) throw new CliError('USAGE', `${command.name} needs ${command.args}`);
    if (positionals.length > max) throw new CliError('USAGE', `unexpected argument "${positionals[max]}"`);
    const dir = typeof values['dir'] === 'string' ? values['dir'] : '';
    if (command.dir === 'required' && dir === '') throw new CliError('USAGE', `${command.name} needs --dir <path>`);
    if (dir !== '') checkDirArgument(dir);
    return await command.run({ out, values: values as Record<string, string | boolean | undefined>, positionals, dir });
  } catch (err) {
    const report = reportOf(err);
    out.error(report, err);
    return report.exitCode;
  }
}
