/**
 * `file-locking [options] FILE|DIR COMMAND…`, `… FILE -c 'COMMAND'` and
 * `… FD`: flock(1)'s three forms with its units and exit codes.
 *
 * All three lock with flock(2) on a descriptor of their own making, as
 * flock(1) does, rather than through FileLock: a directory must be opened
 * read-only (FileLock refuses it), a descriptor form locks the open file
 * description the shell passed in and leaves it locked on exit, and the
 * command inherits the lock descriptor unless -o, so that a background job it
 * starts keeps the lock, as under flock(1). Nothing unlocks on exit: the
 * kernel drops the lock when the last descriptor of it closes.
 * @internal
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { native } from '../native';
import { cliBusyError, cliDescriptorError, isErrno, lockFileError, spawnError, type LockMode } from '../errors';
import { lockHolders } from '../lock/holders';
import { openCreating } from '../lock/open-creating';
import type { FlockArgs } from './flock-args';
import { EXIT } from './exit-codes';

const { O_RDONLY, O_RDWR, O_CREAT, O_NOCTTY } = fs.constants;
const { LOCK_SH, LOCK_EX, LOCK_UN, LOCK_NB } = native.constants;

const say = (message: string): void => { process.stderr.write(`file-locking: ${message}\n`); };

/** flock(1)'s open: create without truncating, read-only; a directory without O_CREAT. */
function openTarget(file: string): number {
  try {
    return openCreating(() => fs.openSync(file, O_RDONLY | O_NOCTTY | O_CREAT, 0o666));
  } catch (err) {
    if (isErrno(err, 'EISDIR')) return fs.openSync(file, O_RDONLY | O_NOCTTY);
    throw err;
  }
}

/** flock(1)'s exit codes for a lock file it cannot open. */
function openFailureExit(err: unknown): number {
  if (isErrno(err, 'ENOMEM', 'EMFILE', 'ENFILE')) return EXIT.oserr;
  if (isErrno(err, 'EROFS', 'ENOSPC')) return EXIT.cantcreat;
  return EXIT.noinput;
}

/**
 * Node opens descriptors of its own at start-up (epoll, eventfd, pipes), so a
 * number the shell did not open may still be open here: only a file or a
 * directory, which Node does not open, can be the shell's lock.
 */
function inheritedFileError(fd: number): NodeJS.ErrnoException | null {
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile() || st.isDirectory()) return null;
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  return Object.assign(new Error('no file or directory is open on it'), { code: 'EBADF' });
}

/**
 * Waits for flock(fd, op) in the kernel for at most `ms`, as flock(1) does
 * under its alarm: on a duplicate of `fd` (same open file description, so
 * the lock it wins is `fd`'s) handed to one of the addon's waiter threads,
 * while this thread keeps the timer. True when granted.
 */
function waitInKernel(fd: number, op: number, ms: number): Promise<boolean> {
  const dup = native.dupCloexec(fd);
  return new Promise<boolean>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let wait: ReturnType<typeof native.startFlockWait>;
    try {
      // '' as the path: no identity check, the descriptor is what is locked.
      wait = native.startFlockWait(dup, op, '', (err, abandoned) => {
        clearTimeout(timer);
        if (err !== null) reject(err); // the wait closed `dup`
        else if (abandoned === true) resolve(false); // it unlocked and closed `dup`
        else {
          fs.closeSync(dup); // `fd` keeps the lock
          resolve(true);
        }
      });
    } catch (err) {
      fs.closeSync(dup);
      reject(err);
      return;
    }
    timer = setTimeout(() => {
      wait.abandon();
      // A grant that came in just before the abandon is ours to keep.
      try {
        if (wait.waitFor(0) === 'granted') {
          fs.closeSync(dup);
          resolve(true);
        } else {
          resolve(false);
        }
      } catch (err) {
        reject(err);
      }
    }, ms);
  });
}

/**
 * flock(2) on `fd`: true when granted, false when busy past the deadline.
 * Waiting forever blocks this thread in the kernel (this process has nothing
 * else to do); a deadline waits in the kernel on a waiter thread.
 */
async function lock(fd: number, op: number, nonblock: boolean, timeoutS: number | undefined): Promise<boolean> {
  if (op === LOCK_UN) return native.flock(fd, LOCK_UN);
  if (nonblock || timeoutS === 0) return native.flock(fd, op | LOCK_NB);
  if (timeoutS === undefined) {
    for (;;) {
      try {
        return native.flock(fd, op);
      } catch (err) {
        if (!isErrno(err, 'EINTR')) throw err;
      }
    }
  }
  if (native.flock(fd, op | LOCK_NB)) return true;
  return waitInKernel(fd, op, timeoutS * 1000);
}

function runCommand(command: readonly string[], lockFd: number | null): Promise<number> {
  return new Promise((resolve) => {
    // Without -o the command gets the lock descriptor (as its fd 3), so that
    // whatever it leaves running in the background keeps the lock, as under flock(1).
    const stdio: ('inherit' | number)[] = ['inherit', 'inherit', 'inherit'];
    if (lockFd !== null) stdio.push(lockFd);
    const child = spawn(command[0], command.slice(1), { stdio });
    child.on('error', (err) => {
      say(spawnError(command[0], err).message);
      resolve(isErrno(err, 'ENOMEM') ? EXIT.oserr : EXIT.unavailable);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0)));
  });
}

/** Runs one flock(1)-style invocation and returns the exit code. */
export async function flockCommand(args: FlockArgs): Promise<number> {
  const mode: LockMode = args.op === 'shared' ? 'shared' : 'exclusive';
  const op = args.op === 'unlock' ? LOCK_UN : args.op === 'shared' ? LOCK_SH : LOCK_EX;
  let fd: number;
  let name: string;
  if ('fd' in args.target) {
    fd = args.target.fd;
    name = `descriptor ${fd}`;
    const notInherited = inheritedFileError(fd);
    if (notInherited !== null) {
      say(cliDescriptorError(fd, mode, notInherited).message);
      return EXIT.dataerr;
    }
  } else {
    name = args.target.path;
    try {
      fd = openTarget(name);
    } catch (err) {
      say(lockFileError(name, mode, performance.now(), err).message);
      return openFailureExit(err);
    }
  }
  const started = performance.now();
  let granted: boolean;
  try {
    try {
      granted = await lock(fd, op, args.nonblock, args.timeoutS);
    } catch (err) {
      // NFS emulates flock with fcntl, whose write lock needs a writable open: flock(1) reopens too.
      if ('fd' in args.target || op !== LOCK_EX || !isErrno(err, 'EIO', 'ENOLCK', 'EBADF')) throw err;
      const rw = fs.openSync(name, O_RDWR | O_NOCTTY);
      fs.closeSync(fd);
      fd = rw;
      granted = await lock(fd, op, args.nonblock, args.timeoutS);
    }
  } catch (err) {
    say(('fd' in args.target ? cliDescriptorError(fd, mode, err) : lockFileError(name, mode, started, err)).message);
    return isErrno(err, 'ENOLCK', 'ENOMEM') ? EXIT.oserr : EXIT.dataerr;
  }
  const waitedMs = performance.now() - started;
  if (!granted) {
    const holders = lockHolders('fd' in args.target ? `/proc/self/fd/${fd}` : name);
    const code = args.nonblock || args.timeoutS === 0 ? 'ELOCKED' : 'ELOCKTIMEOUT';
    say(cliBusyError(code, name, mode, waitedMs, holders).message);
    return args.conflictExit;
  }
  if (args.verbose) say(`getting lock took ${(waitedMs / 1000).toFixed(6)} seconds`);
  if ('fd' in args.target) return EXIT.ok;
  if (args.verbose) say(`executing ${args.target.command[0]}`);
  return runCommand(args.target.command, args.close ? null : fd);
}
