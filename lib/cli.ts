#!/usr/bin/env node
/**
 * `file-locking`: the library from shell scripts, modelled on util-linux flock(1).
 * Exit codes: 0 ok (or the command's own code), 1 lock busy or timed out
 * (--conflict-exit-code changes it), 2 usage error, 3 file or lock error,
 * 128+N when the command was killed by signal N.
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import { FileLock } from './lock/file-lock';
import { lockHolders } from './lock/holders';
import { AtomicFileWriter } from './durable/atomic-file-writer';
import { SafeFileReader } from './durable/safe-file-reader';
import { ReadModifyWrite } from './durable/read-modify-write';
import { LockError, FileLockingError, spawnError } from './errors';
import { parseYaml } from './yaml';

const EXIT = { ok: 0, conflict: 1, usage: 2, failure: 3 } as const;

const HELP: Record<string, string> = {
  main: `Usage: file-locking <command> [options]

Commands:
  run      run a command while holding a lock (like flock(1))
  write    atomically replace a file with stdin, under its lock
  read     print a file under its shared lock
  update   set values in a YAML file (locked read-modify-write)
  holders  show who holds a lock (Linux)

Run "file-locking <command> --help" for its options.
Exit codes: 0 ok, 1 lock busy or timed out, 2 usage error, 3 file or lock error.`,
  run: `Usage: file-locking run [options] LOCKFILE -- COMMAND [ARGS...]

Holds the lock on LOCKFILE (flock(2), the same lock as flock(1) and Python's
fcntl.flock) while COMMAND runs, and exits with COMMAND's exit code.

Options:
  -s, --shared                take a shared lock (default: exclusive)
  -n, --nonblock              fail at once if the lock is busy
  -w, --timeout MS            give up after MS milliseconds (default: wait forever)
  -E, --conflict-exit-code N  exit code when the lock is busy or timed out (default 1)
  -h, --help`,
  write: `Usage: file-locking write [options] FILE

Reads stdin and atomically replaces FILE with it (temp file, fsync, rename,
fsync of the directory), under the exclusive lock FILE.lock.

Options:
  -w, --timeout MS   lock timeout (default 30000)
      --no-durable   skip the fsyncs
  -h, --help`,
  read: `Usage: file-locking read [options] FILE

Prints FILE while holding the shared lock FILE.lock.

Options:
  -w, --timeout MS   lock timeout (default 30000)
  -h, --help`,
  update: `Usage: file-locking update [options] FILE --set KEY.PATH=VALUE [--set ...]

Locked read-modify-write of the YAML file FILE (created if missing). VALUE is
read as YAML with PyYAML's rules: --set enabled=yes stores true, n=0755 stores 493.

Options:
      --set KEY.PATH=VALUE  the value to set; dots separate mapping keys
  -w, --timeout MS          lock timeout (default 30000)
      --no-durable          skip the fsyncs
  -h, --help`,
  holders: `Usage: file-locking holders FILE

Lists the processes holding or waiting for locks on FILE and on FILE.lock,
from /proc/locks (Linux; elsewhere the OS cannot tell).

Options:
  -h, --help`,
};

class UsageError extends Error {}

function timeoutOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--timeout takes a number of milliseconds, got "${value}"`);
  return n;
}

function one(positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes one ${what}; see "file-locking ${command} --help"`);
  return positionals[0];
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function cmdRun(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const command = dash === -1 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parseArgs({
    args: own, allowPositionals: true, options: {
      shared: { type: 'boolean', short: 's' },
      nonblock: { type: 'boolean', short: 'n' },
      timeout: { type: 'string', short: 'w' },
      'conflict-exit-code': { type: 'string', short: 'E' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return help('run');
  const lockFile = one(positionals, 'LOCKFILE', 'run');
  if (command.length === 0) throw new UsageError('run needs a command after "--"; see "file-locking run --help"');
  const conflict = values['conflict-exit-code'] === undefined ? EXIT.conflict : Number(values['conflict-exit-code']);
  if (!Number.isInteger(conflict) || conflict < 0 || conflict > 255) throw new UsageError('--conflict-exit-code takes a number 0-255');
  const timeout = values.nonblock ? 0 : timeoutOf(values.timeout, Infinity);
  const lock = new FileLock(lockFile, { timeout });
  let handle;
  try {
    handle = await lock.acquire(values.shared ? 'shared' : 'exclusive');
  } catch (err) {
    if (err instanceof LockError && (err.code === 'ELOCKED' || err.code === 'ELOCKTIMEOUT')) {
      process.stderr.write(`file-locking: ${err.message}\n`);
      return conflict;
    }
    throw err;
  }
  try {
    // The lock descriptor is close-on-exec: the command runs under our lock, as with flock(1).
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward);
    return await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(spawnError(command[0], err)));
      child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0)));
    });
  } finally {
    handle.release();
  }
}

async function cmdWrite(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, allowNegative: true, options: {
      timeout: { type: 'string', short: 'w' }, durable: { type: 'boolean', default: true }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return help('write');
  const file = one(positionals, 'FILE', 'write');
  const data = await readStdin();
  await new AtomicFileWriter(file, undefined, { timeout: timeoutOf(values.timeout, 30_000), durable: values.durable }).write(data);
  return EXIT.ok;
}

async function cmdRead(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, options: { timeout: { type: 'string', short: 'w' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return help('read');
  const file = one(positionals, 'FILE', 'read');
  const text = await new SafeFileReader(file, undefined, { timeout: timeoutOf(values.timeout, 30_000) }).read();
  process.stdout.write(text);
  return EXIT.ok;
}

type Mapping = Record<string, unknown>;

function setPath(root: Mapping, keyPath: string, value: unknown): void {
  const keys = keyPath.split('.');
  if (keys.some((k) => k === '')) throw new UsageError(`--set: empty key in "${keyPath}"`);
  let node = root;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) {
      throw new UsageError(`--set ${keyPath}: "${key}" holds a ${Array.isArray(next) ? 'list' : typeof next}, not a mapping`);
    }
    node = node[key] as Mapping;
  }
  node[keys[keys.length - 1]] = value;
}

async function cmdUpdate(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, allowNegative: true, options: {
      set: { type: 'string', multiple: true },
      timeout: { type: 'string', short: 'w' }, durable: { type: 'boolean', default: true }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return help('update');
  const file = one(positionals, 'FILE', 'update');
  const sets = (values.set ?? []).map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set takes KEY.PATH=VALUE, got "${s}"`);
    return { key: s.slice(0, eq), value: parseYaml(s.slice(eq + 1)) };
  });
  if (sets.length === 0) throw new UsageError('update needs at least one --set KEY.PATH=VALUE');
  const rmw = new ReadModifyWrite<unknown>(file, undefined, {
    initial: {}, timeout: timeoutOf(values.timeout, 30_000), durable: values.durable,
  });
  await rmw.execute((data) => {
    const root = (data === null || data === undefined ? {} : data) as Mapping;
    if (typeof root !== 'object' || Array.isArray(root)) throw new UsageError(`${file} does not hold a YAML mapping`);
    for (const { key, value } of sets) setPath(root, key, value);
    return root;
  });
  return EXIT.ok;
}

function cmdHolders(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) return help('holders');
  const file = one(positionals, 'FILE', 'holders');
  const targets = [file, `${file}.lock`].filter((p) => fs.existsSync(p));
  if (targets.length === 0) throw new FileLockingError('ENOENT', `Neither ${file} nor ${file}.lock exists`, file);
  for (const target of targets) {
    const holders = lockHolders(target);
    if (holders.length === 0) {
      process.stdout.write(`${target}: no locks${process.platform === 'linux' ? '' : ' visible (this OS cannot tell)'}\n`);
    }
    for (const h of holders) {
      process.stdout.write(`${target}: ${h.waiting ? 'waiting' : 'held'} ${h.mode} ${h.kind} pid ${h.pid}${h.command ? ` (${h.command})` : ''}\n`);
    }
  }
  return EXIT.ok;
}

function help(command: string): number {
  process.stdout.write(HELP[command] + '\n');
  return EXIT.ok;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run': return await cmdRun(rest);
      case 'write': return await cmdWrite(rest);
      case 'read': return await cmdRead(rest);
      case 'update': return await cmdUpdate(rest);
      case 'holders': return cmdHolders(rest);
      case undefined: case '-h': case '--help': return help('main');
      default: throw new UsageError(`unknown command "${command}"; run "file-locking --help"`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`file-locking: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    if (err instanceof LockError && (err.code === 'ELOCKED' || err.code === 'ELOCKTIMEOUT')) {
      process.stderr.write(`file-locking: ${err.message}\n`);
      return EXIT.conflict;
    }
    process.stderr.write(`file-locking: ${(err as Error).message.split('\n')[0]}\n`);
    return EXIT.failure;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
