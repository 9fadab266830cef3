/** The CLI's --help texts and --version. @internal */
import * as fs from 'node:fs';
import * as path from 'node:path';

const LOCK_USAGE = `Usage:
  file-locking [options] FILE|DIRECTORY COMMAND [ARGUMENT...]
  file-locking [options] FILE|DIRECTORY -c 'COMMAND'
  file-locking [options] DESCRIPTOR-NUMBER        e.g. exec 9>F.lock; file-locking -n 9 || exit 1

Takes a flock(2) lock, the same lock as util-linux flock(1) and Python's
fcntl.flock, and runs COMMAND while holding it (the command inherits the lock
descriptor unless -o). The descriptor form locks the shell's open file: the
lock stays after file-locking exits, until the shell closes the descriptor.
FILE is created if missing, never truncated.

Options (flock(1)'s, with its units):
  -s, --shared                get a shared lock
  -x, -e, --exclusive         get an exclusive lock (the default)
  -u, --unlock                remove a lock (descriptor form)
  -n, --nonblock              fail at once if the lock is busy
  -w, --timeout SECONDS       give up after SECONDS (fractional: -w 0.5); default: wait forever
  -E, --conflict-exit-code N  exit code when busy or timed out (default 1)
  -o, --close                 do not pass the lock descriptor to COMMAND
  -c, --command 'COMMAND'     after FILE: run COMMAND with $SHELL -c (/bin/sh without $SHELL)
      --verbose               say how long the lock took and what runs
  -V, --version               print the version
  -h, --help
  (-F/--no-fork is refused: Node cannot exec in place.)

Exit codes: COMMAND's own (128+N if it died of signal N); 1 busy or timed out
(-E); 64 usage; 65 the descriptor cannot be locked; 66 the lock file cannot be
opened; 69 COMMAND cannot be executed; 71 out of memory or locks; 73 read-only
or full file system.`;

export const HELP: Record<string, string> = {
  main: `${LOCK_USAGE}

Other commands (run "file-locking COMMAND --help"):
  file-locking write FILE < DATA     atomic, durable replace under FILE.lock
  file-locking read FILE             print FILE under the shared lock FILE.lock
  file-locking update FILE --set K=V update a YAML file (locked read-modify-write)
  file-locking holders FILE          who holds FILE / FILE.lock (Linux)
  file-locking run ...               the same as without "run"; "--" may follow FILE
(To lock a file named like a command, write ./write.)`,
  run: LOCK_USAGE.replace(/file-locking \[options\]/g, 'file-locking run [options]'),
  write: `Usage: file-locking write [options] FILE

Reads stdin and atomically replaces FILE with it (temp file, fsync, rename,
fsync of the directory), under the exclusive lock FILE.lock. A new file gets
mode 0666 minus the umask; an existing file keeps its mode.

Options:
  -w, --timeout SECONDS   lock timeout (default 30)
      --no-durable        skip the fsyncs
  -h, --help
Exit codes: 0 ok, 1 lock busy past -w, 64 usage, 66 missing directory,
73 cannot write (permissions, read-only or full), 74 other I/O error.`,
  read: `Usage: file-locking read [options] FILE

Prints FILE while holding the shared lock FILE.lock. A missing FILE is exit 66;
when FILE.lock does not exist either, nothing is created.

Options:
  -w, --timeout SECONDS   lock timeout (default 30)
  -h, --help
Exit codes: 0 ok, 1 lock busy past -w, 64 usage, 66 FILE missing, 74 I/O error.`,
  update: `Usage: file-locking update [options] FILE --set KEY.PATH=VALUE [--set-string KEY.PATH=TEXT ...]

Locked read-modify-write of the YAML file FILE (created if missing), applied in
command-line order, written the way PyYAML writes it.
  --set KEY.PATH=VALUE         VALUE is YAML, read with PyYAML's rules:
                               enabled=yes stores true, n=0755 stores 493,
                               id='"007"' (quoted YAML) stores the string 007
  --set-string KEY.PATH=TEXT   TEXT is stored as a string, as is: id=007, on=yes
Dots separate mapping keys; missing mappings are created.

Options:
  -w, --timeout SECONDS   lock timeout (default 30)
      --no-durable        skip the fsyncs
  -h, --help
Exit codes: 0 ok, 1 lock busy past -w, 64 usage, 65 FILE is not a YAML mapping
(or does not parse; it is left as it was), 73 cannot write, 74 other I/O error.`,
  holders: `Usage: file-locking holders FILE

Lists the processes holding or waiting for locks on FILE and on FILE.lock,
from /proc/locks (Linux; elsewhere the OS cannot tell).

Options:
  -h, --help
Exit codes: 0 ok, 64 usage, 66 neither file exists.`,
};

export function help(command: string): number {
  process.stdout.write(HELP[command] + '\n');
  return 0;
}

/** "file-locking 0.1.0", from the package.json three levels above dist/lib/cli/. */
export function version(): number {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  process.stdout.write(`file-locking ${pkg.version}\n`);
  return 0;
}
