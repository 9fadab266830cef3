/**
 * Every error the package throws is built here, so that one search finds
 * where a code comes from and every message has the same shape: what failed,
 * on which path, why, and what to do.
 *
 * This module is the floor of the architecture: it imports nothing of the
 * package, and every room (lock/, durable/, the backend, the CLI) imports it.
 */
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';

/** How a lock is held: many readers, or one writer. */
export type LockMode = 'shared' | 'exclusive';

/** One lock on a file as the kernel reports it (see {@link lockHolders}). */
export interface LockHolder {
  /** Process id; -1 for OFD locks, whose owner the kernel does not record. */
  readonly pid: number;
  /** `exclusive` for a write lock, `shared` for a read lock. */
  readonly mode: LockMode;
  /** `flock` for flock(2); `posix` and `ofd` for fcntl(2) record locks. */
  readonly kind: 'flock' | 'posix' | 'ofd';
  /** True for a process blocked waiting for the lock rather than holding it. */
  readonly waiting: boolean;
  /** The holder's command name, when /proc still has it. */
  readonly command?: string;
}

/**
 * Stable codes of {@link LockError}:
 * - `ELOCKTIMEOUT`: the lock was not granted within `timeout` ms.
 * - `ELOCKED`: `timeout: 0` and the lock was busy.
 * - `ABORT_ERR`: the caller's AbortSignal fired first; `cause` is the signal's reason.
 * - `ELOCKHELD`: a synchronous acquire of a lock this process already holds or
 *   waits for; waiting would block the thread that has to release it.
 * - `ELOCKFILE`: the lock file could not be opened or locked; `cause` is the
 *   system error (EACCES, EISDIR, ENOENT, ENOLCK, …).
 */
export type LockErrorCode = 'ELOCKTIMEOUT' | 'ELOCKED' | 'ABORT_ERR' | 'ELOCKHELD' | 'ELOCKFILE';

/** A lock could not be acquired. Python: `LockError`. */
export class LockError extends Error {
  /** Always `'LockError'`. */
  override readonly name = 'LockError';
  /** What went wrong; see {@link LockErrorCode}. */
  readonly code: LockErrorCode;
  /** The lock file, as given. */
  readonly lockFile: string;
  /** The mode that was asked for. */
  readonly mode: LockMode;
  /** How long the caller waited before giving up, in milliseconds. */
  readonly waitedMs: number;
  #holders: readonly LockHolder[] | (() => readonly LockHolder[]);

  constructor(code: LockErrorCode, message: string, details: {
    lockFile: string; mode: LockMode; waitedMs: number; holders?: readonly LockHolder[] | (() => readonly LockHolder[]);
    cause?: unknown;
  }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.lockFile = details.lockFile;
    this.mode = details.mode;
    this.waitedMs = details.waitedMs;
    this.#holders = details.holders ?? [];
  }

  /**
   * Who holds or waits for the lock, where the OS can tell (Linux
   * /proc/locks), read when first asked: reading /proc/locks can take
   * milliseconds, which would otherwise make every timeout late.
   */
  get holders(): readonly LockHolder[] {
    if (typeof this.#holders === 'function') this.#holders = this.#holders();
    return this.#holders;
  }
}

/** The codes this package gives a {@link FileLockingError} itself. */
export type FileLockingOwnCode =
  /** The file's text is not valid YAML (or the deserializer threw). */
  | 'EPARSE'
  /** The data could not be serialized (or the serializer threw). */
  | 'ESERIALIZE'
  /** The file's bytes are not UTF-8 (nor UTF-16 with a BOM). */
  | 'EDECODE'
  /** A storage key resolves outside the backend's root. */
  | 'EOUTSIDE'
  /** A path or key that cannot name a file (empty, NUL byte, backslash). */
  | 'EINVALIDPATH'
  /** A fenced write refused: the lock was taken over since, or held past `maxHoldMs`. */
  | 'EFENCED'
  /** `file-locking update --set` met something other than a mapping. */
  | 'ENOTMAPPING'
  /** The CLI could not start a command. */
  | 'ESPAWN'
  /** The native addon could not be loaded (message: how to rebuild it). */
  | 'EADDON'
  /** An error without a system code (its `cause` says what). */
  | 'EUNKNOWN';

/**
 * The system error codes file operations report, as Node names them. Others
 * pass through unchanged as Node named them, hence the open end of
 * {@link FileLockingErrorCode}.
 */
export type SystemErrorCode =
  | 'ENOENT' | 'EACCES' | 'EPERM' | 'EROFS' | 'ENOSPC' | 'EDQUOT' | 'EFBIG' | 'EIO' | 'EISDIR' | 'ENOTDIR'
  | 'EEXIST' | 'ENOTEMPTY' | 'ELOOP' | 'ENAMETOOLONG' | 'EXDEV' | 'EBUSY' | 'ETXTBSY' | 'EMFILE' | 'ENFILE'
  | 'EBADF' | 'EINVAL' | 'ESTALE' | 'ENOTCONN' | 'EINTR' | 'EAGAIN';

/**
 * {@link FileLockingError.code}: one of ours, a listed system code, or
 * (`string & {}`) another system code as Node names it. Editors complete the
 * listed ones, and `switch (err.code)` narrows on them.
 */
export type FileLockingErrorCode = FileLockingOwnCode | SystemErrorCode | (string & {});

/**
 * A file operation (atomic write, locked read, read-modify-write, storage
 * backend) failed. `path` is the data file; `cause` is the original error.
 * The message says what state the file is in: almost always as it was before
 * the call; after a failed directory fsync, already replaced but not durable.
 */
export class FileLockingError extends Error {
  /** Always `'FileLockingError'`. */
  override readonly name = 'FileLockingError';
  /** What failed, stable across versions: see {@link FileLockingErrorCode}. */
  readonly code: FileLockingErrorCode;
  /** The data file (or storage key) the operation was about. */
  readonly path: string;

  constructor(code: FileLockingErrorCode, message: string, filePath: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.path = filePath;
  }
}

// ---------------------------------------------------------------------------
// The addon

/**
 * The compiled addon could not be loaded: no prebuild fits this platform and
 * nothing was built from source (an install with `--ignore-scripts`, or a
 * tarball packed without prebuilds), or the binary does not load here. @internal
 */
export function addonLoadError(packageDir: string, cause: unknown): FileLockingError {
  const reason = reasonOf(cause).split('\n')[0];
  const platform = `${process.platform}-${process.arch}` +
    (process.platform === 'linux' ? (process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime
      ? ' (glibc)' : ' (musl)' : '');
  const missing = /No native build was found/.test(reason);
  return new FileLockingError('EADDON', `file-locking could not load its native addon for ${platform}: ${reason}. ` +
    (missing
      ? 'No prebuilt binary fits this platform and none was compiled (installed with --ignore-scripts, or from a ' +
        'tarball without prebuilds/). Fix: `npm rebuild file-locking` (it builds from source where no prebuild fits: ' +
        'needs a C++ compiler, make and python3).'
      : 'The binary exists but does not load here. Fix: `npm rebuild file-locking --build-from-source` ' +
        '(needs a C++ compiler, make and python3).'), packageDir, cause);
}

// ---------------------------------------------------------------------------
// System errors

const ESTALE_ERRNO = -(constants.errno.ESTALE ?? 116);

/**
 * ESTALE ("stale file handle"): a network file system (Gluster, NFS) says the
 * file an fd or cached handle refers to was replaced or removed by another
 * client. Node 20's libuv has no name for it: `code` is
 * `'Unknown system error -116'`, so match on `errno`. @internal
 */
export function isStale(err: unknown): boolean {
  return err instanceof Error && ((err as NodeJS.ErrnoException).errno === ESTALE_ERRNO || (err as NodeJS.ErrnoException).code === 'ESTALE');
}

/** The error's system code, with ESTALE named (Node 20 cannot). @internal */
function codeOf(err: unknown): string {
  if (isStale(err)) return 'ESTALE';
  return isErrno(err) ? err.code as string : 'EUNKNOWN';
}

/** Node's system errors carry `code`, `errno` and `syscall`. @internal */
export function isErrno(err: unknown, ...codes: string[]): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' &&
    (codes.length === 0 || codes.includes((err as NodeJS.ErrnoException).code as string));
}

/** A system error made by us, shaped like Node's (code, errno, syscall). @internal */
export function systemError(code: 'ENOSPC' | 'EISDIR', syscall: string, target?: string): NodeJS.ErrnoException {
  const known = { ENOSPC: [28, 'no space left on device'], EISDIR: [21, 'illegal operation on a directory'] } as const;
  const [errno, text] = known[code];
  return Object.assign(new Error(`${code}: ${text}, ${target ?? syscall}`), { code, errno: -errno, syscall, path: target });
}

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

// ---------------------------------------------------------------------------
// Arguments and options (lib/options.ts checks them; these say what is wrong)

/** A wrong argument or option value: `TypeError`/`RangeError` with a stable `code`. @internal */
type ArgumentErrorCode = 'EUNKNOWNOPTION' | 'EINVALIDOPTION' | 'EINVALIDARG';

function argumentError<E extends TypeError | RangeError>(error: E, code: ArgumentErrorCode): E & { code: ArgumentErrorCode } {
  return Object.assign(error, { code });
}

/** An option the call does not know: a typo must not silently mean a default. @internal */
export function unknownOptionError(where: string, key: string, known: readonly string[], suggestion: string | undefined): TypeError {
  const hint = suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`;
  return argumentError(new TypeError(`${where}: unknown option "${key}" (known: ${known.join(', ')}).${hint}`), 'EUNKNOWNOPTION');
}

/** An option value of the wrong type or out of range. @internal */
export function invalidOptionError(where: string, name: string, expected: string, got: unknown, range = false): TypeError | RangeError {
  const message = `${where}: ${name} must be ${expected}, got ${describe(got)}`;
  return argumentError(range ? new RangeError(message) : new TypeError(message), 'EINVALIDOPTION');
}

/** A positional argument that is not what the call takes. @internal */
export function invalidArgumentError(where: string, what: string, got: unknown): TypeError {
  return argumentError(new TypeError(`${where}: ${what}; got ${describe(got)}`), 'EINVALIDARG');
}

/** A path no file can have (empty, NUL, not a string), refused before any I/O. @internal */
export function invalidPathError(where: string, why: string, p: unknown): FileLockingError {
  return new FileLockingError('EINVALIDPATH', `${where}: ${why}`, typeof p === 'string' ? p : String(p));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return typeof v;
}

// ---------------------------------------------------------------------------
// Locks

const since = (started: number): number => performance.now() - started;

/** The lock file could not be opened or locked (ELOCKFILE), with what to do about its cause. @internal */
export function lockFileError(file: string, mode: LockMode, started: number, cause: unknown): LockError {
  let hint = '';
  if (isErrno(cause, 'EISDIR')) hint = ' The lock path is a directory; pass a file path.';
  else if (isErrno(cause, 'ENOENT', 'ENOTDIR')) hint = ' Create the directory that holds the lock file first.';
  else if (isErrno(cause, 'EROFS')) hint = ' The file system is read-only: a shared lock works only if the lock file already exists.';
  else if (isErrno(cause, 'EACCES', 'EPERM')) hint = ' Check the permissions of the lock file and its directory.';
  return new LockError('ELOCKFILE', `Cannot lock ${file} (${mode}): ${reasonOf(cause)}.${hint}`, {
    lockFile: file, mode, waitedMs: since(started), cause,
  });
}

/**
 * Busy with `timeout: 0` (ELOCKED), or not granted in time (ELOCKTIMEOUT).
 * `heldHere`: this process holds it, which no wait can fix. Who holds it
 * comes from /proc/locks, read only when `err.holders` is asked for.
 * @internal
 */
export function wouldBlockError(code: 'ELOCKED' | 'ELOCKTIMEOUT', file: string, mode: LockMode, started: number,
  heldHere: boolean, holders: () => readonly LockHolder[]): LockError {
  const waited = since(started);
  const what = code === 'ELOCKED'
    ? `Lock ${file} (${mode}) is busy and timeout is 0`
    : `Timed out after ${Math.round(waited)} ms waiting for lock ${file} (${mode})`;
  const who = heldHere
    ? 'this process holds it (nested acquisition from inside the holder is not supported)'
    : `another process holds it (see err.holders, or run \`file-locking holders ${file}\`)`;
  return new LockError(code, `${what}: ${who}. Retry later or raise \`timeout\`.`, {
    lockFile: file, mode, waitedMs: waited, holders,
  });
}

/** The caller's AbortSignal fired while waiting. @internal */
export function abortError(file: string, mode: LockMode, started: number, signal: AbortSignal, what = 'lock'): LockError {
  return new LockError('ABORT_ERR', `Waiting for ${what} ${file} (${mode}) was aborted`, {
    lockFile: file, mode, waitedMs: since(started), cause: signal.reason,
  });
}

/** A synchronous wait for a lock this process already holds or awaits: it would wait for itself. @internal */
export function lockHeldError(file: string, mode: LockMode, started: number): LockError {
  return new LockError('ELOCKHELD',
    `Lock ${file} (${mode}) is already held or awaited in this process; a synchronous wait ` +
    'would block the code that releases it. Use the async API, or release it first.', {
      lockFile: file, mode, waitedMs: since(started),
    });
}

/** A byte-range lock was busy (ELOCKED) or not granted in time (ELOCKTIMEOUT). @internal */
export function recordBusyError(code: 'ELOCKED' | 'ELOCKTIMEOUT', name: string, range: string, mode: LockMode, started: number,
  holder: { pid: number } | null): LockError {
  const who = holder === null ? 'released meanwhile' : holder.pid > 0 ? `held by pid ${holder.pid}` : 'held by an OFD lock (owner unknown)';
  const what = code === 'ELOCKED' ? 'is busy and timeout is 0' : `was not granted within ${Math.round(since(started))} ms`;
  return new LockError(code, `Record lock ${name} ${range} (${mode}) ${what}: ${who}.`, {
    lockFile: name, mode, waitedMs: since(started),
  });
}

// ---------------------------------------------------------------------------
// Files: writes, reads, updates

/**
 * A write failed. `renamed`: the failure came after the rename (the directory
 * fsync), so the new contents are already in place and saying "left as it
 * was" would be a lie. @internal
 */
export function writeError(filePath: string, err: unknown, renamed = false): FileLockingError {
  if (err instanceof FileLockingError) return err;
  const code = codeOf(err);
  let hint = '';
  if (code === 'ENOSPC' || code === 'EDQUOT') hint = ' Free some space and retry.';
  else if (code === 'EACCES' || code === 'EPERM') hint = ' The directory must be writable to replace a file atomically.';
  else if (code === 'EROFS') hint = ' The file system is mounted read-only.';
  else if (code === 'EISDIR') hint = ' The target is a directory; pass a file path.';
  else if (code === 'ENOENT') hint = ' The directory does not exist; create it first.';
  else if (code === 'ESTALE') hint = ' Stale file handle twice in a row: another client of this network file system removed or replaced the directory or file; retry.';
  else if (code === 'EIO') hint = ' The device reported an I/O error; do not trust the disk until checked.';
  if (renamed) {
    return new FileLockingError(code, `Wrote ${filePath}, but could not fsync its directory: ${reasonOf(err)}. ` +
      `The new contents are in place but may not survive a crash.${hint}`, filePath, err);
  }
  return new FileLockingError(code, `Could not write ${filePath}: ${reasonOf(err)}. The file was left as it was.${hint}`, filePath, err);
}

/** A read failed. @internal */
export function readError(filePath: string, err: unknown): FileLockingError {
  if (err instanceof FileLockingError) return err;
  const code = codeOf(err);
  const hint = code === 'ENOENT' ? ' The file does not exist.' : code === 'EISDIR' ? ' The path is a directory.'
    : code === 'ESTALE' ? ' Stale file handle twice in a row: another client of this network file system keeps replacing or removing it; retry later.' : '';
  return new FileLockingError(code, `Could not read ${filePath}: ${reasonOf(err)}.${hint}`, filePath, err);
}

/** An update of a missing file without `initial`. @internal */
export function missingWithoutInitialError(filePath: string, err: unknown): FileLockingError {
  return new FileLockingError('ENOENT', `${readError(filePath, err).message} Pass { initial } to start from a value when it is missing.`,
    filePath, err);
}

/** The file's contents could not be parsed; nothing was changed. @internal */
export function parseError(filePath: string, err: unknown): FileLockingError {
  return new FileLockingError('EPARSE', `Could not parse ${filePath}: ${reasonOf(err)}. ` +
    'The file was not changed; fix or restore it.', filePath, err);
}

/** New contents could not be serialized; nothing was changed. @internal */
export function serializeError(filePath: string, err: unknown, what = 'the new contents of'): FileLockingError {
  return new FileLockingError('ESERIALIZE', `Could not serialize ${what} ${filePath}: ${reasonOf(err)}. The file was not changed.`,
    filePath, err);
}

// ---------------------------------------------------------------------------
// Fencing

/** A fenced change refused: the lock was released, taken over, or held past its deadline. @internal */
export function fencedError(target: string, why: string): FileLockingError {
  return new FileLockingError('EFENCED', `Refused to change ${target}: ${why}. Nothing was changed.`, target);
}

/** A fence file that holds no token. @internal */
export function fenceFileError(fenceFile: string, text: string): FileLockingError {
  return new FileLockingError('EPARSE', `The fence file ${fenceFile} does not hold a token (got ${JSON.stringify(text.slice(0, 40))}).`, fenceFile);
}

// ---------------------------------------------------------------------------
// Storage backend

/** A storage key that would lead outside the root. @internal */
export function outsideError(key: string, why: string, root: string): FileLockingError {
  return new FileLockingError('EOUTSIDE', `Refusing storage key ${JSON.stringify(key)}: ${why} (root ${root}). ` +
    'Use a relative path inside the root.', key);
}

/** The storage backend's root could not be opened (missing, not a directory, not readable). @internal */
export function storageRootError(root: string, err: unknown): FileLockingError {
  const code = codeOf(err);
  const why = code === 'ENOENT' ? 'the root does not exist; create it first'
    : code === 'ENOTDIR' ? 'the root is not a directory' : reasonOf(err);
  return new FileLockingError(code, `Cannot open the storage root ${root}: ${why}.`, root, err);
}

/**
 * A storage key that could not be resolved beneath the root: `code` of our
 * own (ELOOP, EISDIR, EBADF) with `why`, or the system error `cause`. @internal
 */
export function storageKeyError(key: string, root: string, why: string, code?: string, cause?: unknown): FileLockingError {
  return new FileLockingError(code ?? codeOf(cause), `Cannot resolve storage key ${JSON.stringify(key)} in ${root}: ${why}.`, key, cause);
}

/** An operation of the storage backend failed on `file`; `state` says what is intact. @internal */
export function storageError(file: string, what: string, err: unknown, state = ''): FileLockingError {
  return new FileLockingError(codeOf(err), `Could not ${what} ${file}: ${reasonOf(err)}.${state === '' ? '' : ` ${state}`}`, file, err);
}

/** A record of an append-only log that does not parse. @internal */
export function logRecordError(file: string, index: number, err: unknown): FileLockingError {
  return new FileLockingError('EPARSE', `Could not parse record ${index} of ${file}: ${reasonOf(err)}.`, file, err);
}

/** A command of the CLI could not be started. @internal */
export function spawnError(command: string, err: unknown): FileLockingError {
  return new FileLockingError(codeOf(err) === 'EUNKNOWN' ? 'ESPAWN' : codeOf(err), `Could not run ${command}: ${reasonOf(err)}`, command, err);
}

// ---------------------------------------------------------------------------
// CLI (lib/cli.ts, lib/cli/): messages name the CLI's own flags, never the library's options

/** A command line the CLI cannot run; it exits 64 (EX_USAGE), as flock(1) does. @internal */
export function cliUsageError(message: string): TypeError & { code: 'EUSAGE' } {
  return Object.assign(new TypeError(message), { code: 'EUSAGE' as const });
}

/** Who holds a lock, inline: "held by pid 123 (sleep, exclusive)". */
function heldBy(holders: readonly LockHolder[]): string {
  const held = holders.filter((h) => !h.waiting);
  if (held.length === 0) {
    return process.platform === 'linux'
      ? 'held by a process that /proc/locks does not list (a network or FUSE file system?)'
      : 'held by another process (this OS does not say which)';
  }
  return 'held by ' + held.map((h) => (h.pid > 0
    ? `pid ${h.pid} (${h.command === undefined ? '' : `${h.command}, `}${h.mode})`
    : `an OFD lock (${h.mode}, owner unknown)`)).join(' and ');
}

/**
 * The lock was busy (ELOCKED) or not granted within -w (ELOCKTIMEOUT), said
 * in the CLI's words: its flag is `-w SECONDS`, not the library's `timeout`
 * in ms, and the holders are named in the message itself. @internal
 */
export function cliBusyError(code: 'ELOCKED' | 'ELOCKTIMEOUT', target: string, mode: LockMode, waitedMs: number,
  holders: readonly LockHolder[]): LockError {
  const message = code === 'ELOCKED'
    ? `${target} is locked (${mode} lock wanted): ${heldBy(holders)}. Retry later, or wait for it with -w SECONDS (--timeout SECONDS).`
    : `Gave up after ${(waitedMs / 1000).toFixed(2)} s waiting for ${target} (${mode}): ${heldBy(holders)}. ` +
      'Retry later, or wait longer with -w SECONDS (--timeout SECONDS).';
  return new LockError(code, message, { lockFile: target, mode, waitedMs, holders });
}

/** A descriptor number the CLI was given that it cannot lock (not open here, or not lockable). @internal */
export function cliDescriptorError(fd: number, mode: LockMode, cause: unknown): LockError {
  const hint = isErrno(cause, 'EBADF')
    ? ` Descriptor ${fd} is not open in this process: open it in the shell first (exec ${fd}>FILE) and pass its number.`
    : '';
  return new LockError('ELOCKFILE', `Cannot lock descriptor ${fd} (${mode}): ${reasonOf(cause)}.${hint}`, {
    lockFile: `/proc/self/fd/${fd}`, mode, waitedMs: 0, cause,
  });
}

/** `update` found something other than a YAML mapping where it must set a key. @internal */
export function notMappingError(filePath: string, where: string, found: string): FileLockingError {
  return new FileLockingError('ENOTMAPPING', `Cannot set ${where} in ${filePath}: it holds ${found}, not a mapping. ` +
    'The file was not changed.', filePath);
}

// ---------------------------------------------------------------------------
// Text decoding

/**
 * A file read as text holds bytes that are not UTF-8 (nor UTF-16 with a BOM):
 * refused rather than turned into U+FFFD, which a rewrite would make
 * permanent. `cause` carries the byte offset and the byte. @internal
 */
export function decodeError(filePath: string, cause: Error & { position?: number; byte?: number }): FileLockingError {
  const where = cause.position === undefined ? '' : ` at byte offset ${cause.position}` +
    (cause.byte === undefined ? '' : ` (0x${cause.byte.toString(16).padStart(2, '0')})`);
  return new FileLockingError('EDECODE', `Could not read ${filePath} as text${where}: ${cause.message}. ` +
    'It is not valid UTF-8 (nor UTF-16 with a BOM); the file was not changed. Fix or restore it.', filePath, cause);
}

// ---------------------------------------------------------------------------
// Locks held by the caller's own async call chain

/**
 * An async acquisition from inside the body of `acquireExclusive(fn)` /
 * `acquireShared(fn)` that holds the same lock in a conflicting mode: it
 * would wait for itself until the timeout. `requestedAt` / `heldAt`: the
 * caller's places (file:line:col) when the stack tells them. @internal
 */
export function chainHeldError(file: string, mode: LockMode, heldMode: LockMode, started: number,
  places: { requestedAt?: string; heldAt?: string }): LockError {
  const requested = places.requestedAt === undefined ? '' : ` at ${places.requestedAt}`;
  const held = places.heldAt === undefined ? 'an enclosing acquireExclusive/acquireShared body' : `the body acquired at ${places.heldAt}`;
  return new LockError('ELOCKHELD',
    `Lock ${file} (${mode}) asked for${requested} is already held (${heldMode}) by this async call chain: by ${held}. ` +
    'Waiting would wait for itself until the timeout. Do this work inside the body that holds the lock, or after it returns.', {
      lockFile: file, mode, waitedMs: since(started),
    });
}
