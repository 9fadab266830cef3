/**
 * The command line of util-linux flock(1), read the way its getopt_long("+…")
 * reads it: options first (bundled `-nw5`, `--timeout=5`, unambiguous long
 * prefixes such as `--non`), then FILE|DIRECTORY and the command, or a lone
 * descriptor number. Units are flock(1)'s: -w is seconds, fractional.
 * @internal
 */
import { cliUsageError } from '../errors';

export type FlockOp = 'shared' | 'exclusive' | 'unlock';

export interface FlockArgs {
  readonly op: FlockOp;
  readonly nonblock: boolean;
  /** -w in seconds; undefined waits forever. */
  readonly timeoutS: number | undefined;
  readonly conflictExit: number;
  /** -o: the command does not inherit the lock descriptor. */
  readonly close: boolean;
  readonly verbose: boolean;
  readonly target: { readonly path: string; readonly command: readonly string[] } | { readonly fd: number };
}

interface Spec { long: string; short?: string; value?: boolean }

const SPECS: readonly Spec[] = [
  { long: 'shared', short: 's' }, { long: 'exclusive', short: 'x' }, { long: 'unlock', short: 'u' },
  { long: 'nonblock', short: 'n' }, { long: 'timeout', short: 'w', value: true },
  { long: 'conflict-exit-code', short: 'E', value: true }, { long: 'close', short: 'o' },
  { long: 'no-fork', short: 'F' }, { long: 'verbose' }, { long: 'help', short: 'h' }, { long: 'version', short: 'V' },
];
const byShort = new Map(SPECS.filter((s) => s.short).map((s) => [s.short as string, s]));
byShort.set('e', byShort.get('x') as Spec);

function longSpec(name: string): Spec {
  const exact = SPECS.find((s) => s.long === name);
  if (exact) return exact;
  const prefixed = SPECS.filter((s) => s.long.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  throw cliUsageError(prefixed.length === 0 ? `unrecognized option '--${name}'` : `option '--${name}' is ambiguous`);
}

function seconds(text: string): number {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(n) || n < 0) throw cliUsageError(`invalid timeout value: '${text}' (-w takes seconds, e.g. -w 2 or -w 0.5)`);
  return n;
}

function exitCode(text: string): number {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isInteger(n)) throw cliUsageError(`invalid exit code: '${text}'`);
  if (n < 0 || n > 255) throw cliUsageError('exit code out of range (expected 0 to 255)');
  return n;
}

/** What the arguments ask for: a lock, or one of the two answers that take none. */
export function parseFlockArgs(argv: readonly string[]): FlockArgs | 'help' | 'version' {
  let op: FlockOp = 'exclusive';
  let nonblock = false;
  let timeoutS: number | undefined;
  let conflictExit = 1;
  let close = false;
  let noFork = false;
  let verbose = false;
  let help = false;
  let version = false;
  const apply = (spec: Spec, value: string | undefined): void => {
    switch (spec.long) {
      case 'shared': op = 'shared'; break;
      case 'exclusive': op = 'exclusive'; break;
      case 'unlock': op = 'unlock'; break;
      case 'nonblock': nonblock = true; break;
      case 'timeout': timeoutS = seconds(value as string); break;
      case 'conflict-exit-code': conflictExit = exitCode(value as string); break;
      case 'close': close = true; break;
      case 'no-fork': noFork = true; break;
      case 'verbose': verbose = true; break;
      case 'help': help = true; break;
      default: version = true;
    }
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { i++; break; }
    if (!arg.startsWith('-') || arg === '-') break;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const spec = longSpec(arg.slice(2, eq === -1 ? undefined : eq));
      let value: string | undefined;
      if (spec.value) {
        value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined) throw cliUsageError(`option '--${spec.long}' requires an argument`);
      } else if (eq !== -1) throw cliUsageError(`option '--${spec.long}' doesn't allow an argument`);
      apply(spec, value);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const spec = byShort.get(arg[j]);
      if (spec === undefined) {
        throw cliUsageError(arg[j] === 'c'
          ? "-c comes after the file: file-locking FILE -c 'COMMAND'"
          : `invalid option -- '${arg[j]}'`);
      }
      if (!spec.value) { apply(spec, undefined); continue; }
      const value = j + 1 < arg.length ? arg.slice(j + 1) : argv[++i];
      if (value === undefined) throw cliUsageError(`option requires an argument -- '${arg[j]}'`);
      apply(spec, value);
      break;
    }
  }
  if (help) return 'help';
  if (version) return 'version';
  if (noFork) {
    throw cliUsageError(close
      ? 'the --no-fork and --close options are incompatible'
      : '-F/--no-fork is not supported: Node cannot replace itself with the command. Drop -F: the command then runs ' +
        'as a child that inherits the lock descriptor, so it holds the same lock (under another pid).');
  }
  const rest = argv.slice(i);
  if (rest.length === 0) throw cliUsageError('not enough arguments: give a file, a directory or a descriptor number');
  const common = { op, nonblock, timeoutS, conflictExit, close, verbose };
  if (rest.length === 1) {
    if (!/^\d+$/.test(rest[0])) {
      throw cliUsageError(`bad file descriptor: '${rest[0]}'. Alone, the argument is a descriptor number (exec 9>FILE; ` +
        'file-locking 9); to lock a file, give a command too: file-locking FILE COMMAND');
    }
    return { ...common, target: { fd: Number(rest[0]) } };
  }
  // flock(1) would run a command named "--"; here it separates, as older `file-locking run` documented.
  const command = rest[1] === '--' ? rest.slice(2) : rest.slice(1);
  if (command.length === 0) throw cliUsageError('no command after "--"');
  if (command[0] === '-c' || command[0] === '--command') {
    if (command.length !== 2) throw cliUsageError(`${command[0]} requires exactly one command argument`);
    const shell = process.env.SHELL || '/bin/sh';
    return { ...common, target: { path: rest[0], command: [shell, '-c', command[1]] } };
  }
  return { ...common, target: { path: rest[0], command } };
}
