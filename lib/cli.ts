#!/usr/bin/env node
/**
 * `file-locking`: util-linux flock(1)'s forms, units and exit codes
 * (./cli/flock-args.ts, ./cli/flock-command.ts), plus the library's locked
 * file operations for shell scripts (./cli/file-commands.ts).
 */
import { LockError, cliBusyError } from './errors';
import { parseFlockArgs } from './cli/flock-args';
import { flockCommand } from './cli/flock-command';
import { cmdHolders, cmdRead, cmdUpdate, cmdWrite } from './cli/file-commands';
import { EXIT, exitCodeOf } from './cli/exit-codes';
import { help, version } from './cli/help';

const say = (message: string): void => { process.stderr.write(`file-locking: ${message}\n`); };

async function lockForm(argv: string[], helpTopic: string): Promise<number> {
  const args = parseFlockArgs(argv);
  if (args === 'help') return help(helpTopic);
  if (args === 'version') return version();
  return flockCommand(args);
}

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run': return lockForm(rest, 'run');
    case 'write': return cmdWrite(rest);
    case 'read': return cmdRead(rest);
    case 'update': return cmdUpdate(rest);
    case 'holders': return cmdHolders(rest);
    default: return lockForm(argv, 'main');
  }
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err) {
    const code = exitCodeOf(err);
    // The library's lock errors speak of its `timeout` option in ms; say it with the CLI's flags.
    const shown = err instanceof LockError && code === EXIT.conflict
      ? cliBusyError(err.code as 'ELOCKED' | 'ELOCKTIMEOUT', err.lockFile, err.mode, err.waitedMs, err.holders)
      : err as Error;
    say(shown.message.split('\n')[0] + (code === EXIT.usage ? ' (see file-locking --help)' : ''));
    return code;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
