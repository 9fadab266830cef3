/**
 * The only module that touches the compiled addon. It loads the binding
 * (a prebuild when one fits, else the node-gyp build) and declares its shape.
 * @internal
 */
import * as path from 'node:path';
import { addonLoadError } from './errors';
// node-gyp-build ships no types; its whole API is this one function.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const load: (dir: string) => unknown = require('node-gyp-build');

/** A pending kernel wait, blocked on a native thread of the addon's own (never the libuv pool). */
export interface NativeWait {
  /**
   * Nobody needs the lock any more: when the thread wins, it unlocks and
   * closes by itself, and the wait no longer keeps the process alive.
   */
  abandon(): void;
  /** Takes an abandoned wait back; false when it already ended (its `done` is on its way). */
  resume(): boolean;
  /**
   * Blocks the calling thread until the wait ends or `ms` pass. `granted`:
   * the fd is the caller's and `done` will not be called. `moved`: the same,
   * but the lock file's path names another file now. `pending`: still
   * waiting. `ended`: it had been abandoned and finished. Throws the wait's error.
   */
  waitFor(ms: number): 'granted' | 'moved' | 'pending' | 'ended';
}

type WaitDone = (err: NodeJS.ErrnoException | null, abandoned?: boolean, moved?: boolean) => void;

/** The addon's handle of one kernel wait (an External); {@link NativeWait} wraps it. */
declare const waitToken: unique symbol;
type WaitToken = { readonly [waitToken]: true };

interface NativeBinding {
  readonly constants: {
    readonly LOCK_SH: number;
    readonly LOCK_EX: number;
    readonly LOCK_NB: number;
    readonly LOCK_UN: number;
    readonly F_RDLCK: number;
    readonly F_WRLCK: number;
    readonly F_UNLCK: number;
    readonly F_SETLK: number;
    readonly F_SETLKW: number;
    readonly F_GETLK: number;
    /** Open-file-description lock commands (Linux); undefined where the OS has none. */
    readonly F_OFD_SETLK?: number;
    readonly F_OFD_SETLKW?: number;
    readonly F_OFD_GETLK?: number;
    /** open(2)'s O_PATH (Linux), or 0 where the platform has none. */
    readonly O_PATH: number;
  };
  /** flock(2). True when granted; false when LOCK_NB found the lock busy. Throws errno errors. */
  flock(fd: number, op: number): boolean;
  /**
   * flock(fd, op) on the calling thread for at most `ms` (Infinity: no
   * deadline), op LOCK_SH or LOCK_EX; at the deadline a signal aimed at this
   * thread interrupts the wait. 'granted'; 'moved' when granted but `file`
   * no longer names the locked inode ('' skips that check); 'timeout' when
   * the deadline passed first and nothing is held. An error whose `syscall`
   * is 'timer_create' means no deadline can be set up here (macOS has no
   * thread-directed timers) and nothing was waited for.
   */
  flockHere(fd: number, op: number, ms: number, file: string): 'granted' | 'moved' | 'timeout';
  /** Whether the open file still has a link (fstat st_nlink > 0). */
  isLinked(fd: number): boolean;
  /** Whether `file` still names the open file `fd`, and that file still has a link. */
  sameFile(fd: number, file: string): boolean;
  /** fcntl(F_DUPFD_CLOEXEC): another descriptor of the same open file description. */
  dupCloexec(fd: number): number;
  /** fcntl(fd, cmd, {type, start, len}) with cmd F_SETLK(W) or F_OFD_SETLK(W). False when a non-waiting command conflicts. */
  fcntlSetLock(fd: number, cmd: number, type: number, start: number, len: number): boolean;
  /** fcntl(fd, cmd) with cmd F_GETLK or F_OFD_GETLK: the first conflicting lock, or null. */
  fcntlGetLock(fd: number, cmd: number, type: number, start: number, len: number):
    { type: number; start: number; len: number; pid: number } | null;
  /**
   * flock(fd, op) in the kernel on a native thread (never the libuv pool),
   * op LOCK_SH or LOCK_EX. The wait owns `fd` until `done(null, false, moved)`, which grants the lock and
   * hands `fd` back; `moved` says `file` no longer names the locked inode.
   * `done(null, true)`: it was abandoned and has unlocked and closed `fd`.
   * `done(error)`: it failed and has closed `fd`.
   */
  startFlockWait(fd: number, op: number, file: string, done: WaitDone): WaitToken;
  /**
   * The same for fcntl(fd, cmd) over [start, start + len), `cmd` F_SETLKW or
   * F_OFD_SETLKW; `moved` is always false (there is no path to check).
   */
  startRecordWait(fd: number, cmd: number, type: number, start: number, len: number, done: WaitDone): WaitToken;
  /** {@link NativeWait.abandon} of the wait behind `token`. */
  abandonWait(token: WaitToken): void;
  /** {@link NativeWait.resume}. */
  resumeWait(token: WaitToken): boolean;
  /** {@link NativeWait.waitFor}. */
  waitForWait(token: WaitToken, ms: number): 'granted' | 'moved' | 'pending' | 'ended';
  /**
   * Where the last wait that this thread took (by `done` or `waitFor`)
   * spent its time, CLOCK_MONOTONIC ns as `process.hrtime.bigint()` counts:
   * [the kernel granted it, the identity check ended, the JS thread took the
   * report]. For the benchmark's hand-off breakdown.
   */
  lastWaitStamps(): [bigint, bigint, bigint];

  // Descriptor-relative primitives (src-native/confine.cc). Every descriptor
  // they return is close-on-exec; every failure is an errno error.
  readonly confine: {
    /** openat2(2) resolve flags; 0 where the platform has no openat2. */
    readonly RESOLVE_BENEATH: number;
    readonly RESOLVE_NO_MAGICLINKS: number;
    readonly RESOLVE_NO_SYMLINKS: number;
    /** macOS 11+: refuse a symlink anywhere in the path; 0 elsewhere. */
    readonly O_NOFOLLOW_ANY: number;
  };
  /** openat(2): `name` relative to the directory `dirFd`. */
  openat(dirFd: number, name: string, flags: number, mode: number): number;
  /** openat2(2) (Linux >= 5.6) with `resolve` flags; ENOSYS where there is none, EPERM under some seccomp filters. */
  openat2(dirFd: number, name: string, flags: number, mode: number, resolve: number): number;
  /** renameat(2). */
  renameat(oldDirFd: number, oldName: string, newDirFd: number, newName: string): void;
  /** unlinkat(2) of a file (never a directory). */
  unlinkat(dirFd: number, name: string): void;
  /** mkdirat(2). */
  mkdirat(dirFd: number, name: string, mode: number): void;
  /** fstatat(2) with AT_SYMLINK_NOFOLLOW: a symlink is described, not followed. */
  lstatat(dirFd: number, name: string): { mode: number; nlink: number; uid: number; gid: number; size: number; dev: bigint; ino: bigint };
  /** readlinkat(2): the link's target text. */
  readlinkat(dirFd: number, name: string): string;
  /** The entries of the open directory (no `.`/`..`), each with d_type's letter: f, d, l, o, or ? when unknown. */
  readdirAt(dirFd: number): Array<[string, 'f' | 'd' | 'l' | 'o' | '?']>;
  /**
   * On the libuv threadpool, one job: fsync `fd` (F_FULLFSYNC on macOS, as
   * fs.fsync), close it, rename `from` to `to` (names in the directory
   * `dirFd`, or paths when it is -1; an ESTALE rename is tried once more),
   * fsync `syncDirFd`, then, if `unlockFd` is not -1, flock(unlockFd,
   * LOCK_UN), then close the descriptors of `closeAfter`. Resolves to
   * whether that unlock was made. `fd` and `closeAfter` are closed in every
   * case. Rejects with an errno error (`syscall` fsync, close or rename)
   * whose `renamed` says whether the rename was done, which leaves only the
   * directory's fsync failed; nothing is unlocked then.
   */
  commitDurable(fd: number, dirFd: number, from: string, to: string, syncDirFd: number, unlockFd: number,
    closeAfter?: number[]): Promise<boolean>;
  /**
   * openat(2) of `name` relative to `dirFd` (-1: the working directory) with
   * `flags` | O_CLOEXEC and `mode`, then fstat(2), in one call
   * (src-native/open_with_stat.cc): returns the descriptor, and writes it,
   * st_mode, st_uid, st_gid and st_size to `out[0..4]`. On failure nothing
   * stays open; the error's `syscall` is open or fstat.
   */
  openStat(dirFd: number, name: string, flags: number, mode: number, out: Float64Array): number;
  /**
   * {@link openStat}, then read(2) to the end: returns a Buffer whose first
   * `out[4]` bytes are the file's (the length read, not st_size). The
   * descriptor is the caller's to close; the error's `syscall` may also be read.
   */
  readKept(dirFd: number, name: string, flags: number, mode: number, out: Float64Array): Buffer;
}

/**
 * `FILE_LOCKING_ADDON=/abs/path/file_locking.node` loads exactly that binary
 * instead of letting node-gyp-build choose (build/Release, then prebuilds/).
 * For testing another build of the same sources, e.g. the cmake-js one in
 * .ci/run; read here only, once, at load time.
 */
const override = process.env.FILE_LOCKING_ADDON;

const PACKAGE_DIR = path.resolve(__dirname, '..', '..');

function loadBinding(): NativeBinding {
  if (override) return require(path.resolve(override)) as NativeBinding;
  try {
    return load(PACKAGE_DIR) as NativeBinding;
  } catch (err) {
    // node-gyp-build's own words ("No native build was found for …") do not
    // say that the usual cause is an install without its scripts or a
    // tarball without prebuilds, nor how to fix it.
    throw addonLoadError(PACKAGE_DIR, err);
  }
}

const binding = loadBinding();

/** A kernel wait: the addon's token and the three calls that take it. */
class KernelWait implements NativeWait {
  readonly #token: WaitToken;

  constructor(token: WaitToken) {
    this.#token = token;
  }

  abandon(): void {
    binding.abandonWait(this.#token);
  }

  resume(): boolean {
    return binding.resumeWait(this.#token);
  }

  waitFor(ms: number): 'granted' | 'moved' | 'pending' | 'ended' {
    return binding.waitForWait(this.#token, ms);
  }
}

type Native = Omit<NativeBinding, 'startFlockWait' | 'startRecordWait' | 'abandonWait' | 'resumeWait' | 'waitForWait'> & {
  startFlockWait(fd: number, op: number, file: string, done: WaitDone): NativeWait;
  startRecordWait(fd: number, cmd: number, type: number, start: number, len: number, done: WaitDone): NativeWait;
};

/** The addon, with each kernel wait handed out as a {@link NativeWait}. */
export const native: Native = {
  ...binding,
  startFlockWait: (fd, op, file, done) => new KernelWait(binding.startFlockWait(fd, op, file, done)),
  startRecordWait: (fd, cmd, type, start, len, done) => new KernelWait(binding.startRecordWait(fd, cmd, type, start, len, done)),
};

/** A name relative to an open directory, as the *at(2) calls take it (the storage backend's confinement). */
export interface NameAt {
  readonly dirFd: number;
  readonly name: string;
}
