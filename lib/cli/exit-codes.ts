/**
 * Exit codes: flock(1)'s (the BSD sysexits.h values it uses), so that scripts
 * written for flock(1) read ours the same way. @internal
 */
import { FileLockingError, LockError, isErrno } from '../errors';

export const EXIT = {
  ok: 0,
  /** The lock was busy (-n) or not granted within -w; -E changes it. */
  conflict: 1,
  /** EX_USAGE: a command line we cannot run. */
  usage: 64,
  /** EX_DATAERR: a descriptor that cannot be locked; a file that is not what it should hold. */
  dataerr: 65,
  /** EX_NOINPUT: the file or lock file cannot be opened. */
  noinput: 66,
  /** EX_UNAVAILABLE: the command could not be executed. */
  unavailable: 69,
  /** EX_OSERR: out of memory, descriptors or kernel locks. */
  oserr: 71,
  /** EX_CANTCREAT: a read-only or full file system. */
  cantcreat: 73,
  /** EX_IOERR: any other failure to read or write. */
  ioerr: 74,
} as const;

/** The exit code of an error thrown by a file command (write, read, update, holders). */
export function exitCodeOf(err: unknown): number {
  const code = (err as { code?: unknown }).code;
  if (code === 'EUSAGE' || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) return EXIT.usage;
  if (err instanceof LockError && (err.code === 'ELOCKED' || err.code === 'ELOCKTIMEOUT')) return EXIT.conflict;
  const cause = err instanceof LockError ? err.cause : err;
  const sys = err instanceof FileLockingError ? err.code : (cause as { code?: unknown })?.code;
  if (sys === 'EPARSE' || sys === 'ESERIALIZE' || sys === 'ENOTMAPPING') return EXIT.dataerr;
  if (sys === 'ENOENT' || sys === 'ENOTDIR' || sys === 'EISDIR') return EXIT.noinput;
  if (sys === 'EROFS' || sys === 'ENOSPC' || sys === 'EDQUOT' || sys === 'EACCES' || sys === 'EPERM') return EXIT.cantcreat;
  if (isErrno(cause, 'ENOMEM', 'EMFILE', 'ENFILE', 'ENOLCK') || sys === 'ENOLCK') return EXIT.oserr;
  return EXIT.ioerr;
}
