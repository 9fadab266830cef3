/**
 * The in-process side of the lock protocol.
 *
 * flock(2) locks belong to an open file description, so two opens of one lock
 * file in one process conflict with each other. This registry keeps one entry
 * per lock file (keyed by device and inode), one kernel lock per entry, and a
 * FIFO queue of the process's waiters. Shared holders in one process share
 * the kernel lock. At most one native thread per entry waits in the kernel.
 * @internal
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, type NativeWait } from './native';
import { LockError, isErrno, type LockMode } from './errors';
import { lockHolders } from './lock-holders';
import { debug } from './debug';

const { O_RDWR, O_RDONLY, O_CREAT } = fs.constants;
const { LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN } = native.constants;

/** How a blocked acquisition waits. */
export type WaitStrategy = 'kernel' | 'poll';

export interface WaitOptions {
  timeout: number;
  signal?: AbortSignal;
  strategy: WaitStrategy;
  pollInterval: number;
}

interface Request {
  readonly file: string;
  readonly mode: LockMode;
  readonly started: number;
  readonly opts: WaitOptions;
  resolve(grant: Grant): void;
  reject(err: unknown): void;
  cleanup(): void;
}

interface KernelWaiter extends LockFd {
  readonly mode: LockMode;
  readonly file: string;
  readonly control: NativeWait;
}

class Entry {
  fd = -1;
  writable = false;
  holders = 0;
  holderMode: LockMode = 'shared';
  readonly queue: Request[] = [];
  waiter: KernelWaiter | null = null;
  pollTimer: NodeJS.Timeout | null = null;
  readonly files = new Set<string>();
  constructor(readonly key: string) {}
}

/** What a granted acquisition holds; `release` gives it back exactly once. */
export interface Grant {
  readonly entry: Entry;
  readonly mode: LockMode;
  readonly waitedMs: number;
}

const byFile = new Map<string, Entry>();
const byInode = new Map<string, Entry>();

const disabled = process.env.FILE_LOCKING_DISABLE === '1';
let warnedDisabled = false;

function warnDisabled(): void {
  if (warnedDisabled) return;
  warnedDisabled = true;
  process.emitWarning(
    'FILE_LOCKING_DISABLE=1: file-locking takes no kernel locks. Other processes are NOT excluded, ' +
    'and concurrent read-modify-write cycles will lose updates. Unset it as soon as the emergency is over.',
    { code: 'FILE_LOCKING_DISABLED' });
}

const now = (): number => performance.now();

function lockFileError(file: string, mode: LockMode, started: number, cause: unknown): LockError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  let hint = '';
  if (isErrno(cause, 'EISDIR')) hint = ' The lock path is a directory; pass a file path.';
  else if (isErrno(cause, 'ENOENT', 'ENOTDIR')) hint = ' Create the directory that holds the lock file first.';
  else if (isErrno(cause, 'EROFS')) hint = ' The file system is read-only: a shared lock works only if the lock file already exists.';
  else if (isErrno(cause, 'EACCES', 'EPERM')) hint = ' Check the permissions of the lock file and its directory.';
  return new LockError('ELOCKFILE', `Cannot lock ${file} (${mode}): ${reason}.${hint}`, {
    lockFile: file, mode, waitedMs: now() - started, cause,
  });
}

/** An open lock file, and whether it was opened for writing (an exclusive lock on NFS needs it). */
interface LockFd {
  readonly fd: number;
  readonly writable: boolean;
}

/**
 * Opens a lock file without ever truncating it: O_RDWR|O_CREAT (NFS needs a
 * writable open for an exclusive lock; libuv adds O_CLOEXEC so children never
 * inherit it). A shared lock falls back to a read-only open of an existing
 * file, so readers without write permission can still lock.
 */
function openLockFile(file: string, mode: LockMode): LockFd {
  try {
    return { fd: fs.openSync(file, O_RDWR | O_CREAT, 0o666), writable: true };
  } catch (err) {
    if (mode === 'shared' && isErrno(err, 'EACCES', 'EPERM', 'EROFS')) {
      try {
        return { fd: fs.openSync(file, O_RDONLY), writable: false };
      } catch (err2) {
        // No lock file to fall back on: the first error says why it could not be made.
        throw isErrno(err2, 'ENOENT') ? err : err2;
      }
    }
    throw err;
  }
}

function fstatKey(fd: number): string {
  const st = fs.fstatSync(fd, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

/** The entry for `file`, with an open descriptor fit for `mode`. */
function entryFor(file: string, mode: LockMode): Entry {
  let entry = byFile.get(file);
  if (entry !== undefined) idle.delete(entry);
  if (entry === undefined) {
    const opened = openLockFile(file, mode);
    let key: string;
    try {
      key = fstatKey(opened.fd);
    } catch (err) {
      fs.closeSync(opened.fd);
      throw err;
    }
    entry = byInode.get(key);
    if (entry === undefined) {
      entry = new Entry(key);
      byInode.set(key, entry);
    }
    entry.files.add(file);
    byFile.set(file, entry);
    if (entry.fd === -1) {
      entry.fd = opened.fd;
      entry.writable = opened.writable;
    } else {
      // Another path to the same inode: one descriptor per entry is enough,
      // and a second one would conflict with the first.
      fs.closeSync(opened.fd);
    }
  }
  if (entry.fd === -1) {
    const opened = openLockFile(file, mode);
    entry.fd = opened.fd;
    entry.writable = opened.writable;
  } else if (mode === 'exclusive' && !entry.writable && entry.holders === 0) {
    const fd = fs.openSync(file, O_RDWR);
    fs.closeSync(entry.fd);
    entry.fd = fd;
    entry.writable = true;
  }
  return entry;
}

/** Forget an entry whose path now names another inode (a peer replaced the lock file). */
function detach(entry: Entry): void {
  for (const file of entry.files) if (byFile.get(file) === entry) byFile.delete(file);
  entry.files.clear();
  if (byInode.get(entry.key) === entry) byInode.delete(entry.key);
}

/**
 * Idle entries keep their descriptor (holding no lock), so that taking the
 * same lock again costs three syscalls instead of six. Bounded, least
 * recently used first out; `closeIdleLockFiles()` closes them all.
 */
const IDLE_DESCRIPTORS = 32;
const idle = new Set<Entry>();

/** Puts an entry that nobody holds or awaits at rest. */
function retireIfIdle(entry: Entry): void {
  if (entry.holders > 0 || entry.queue.length > 0) return;
  if (entry.pollTimer !== null) {
    clearTimeout(entry.pollTimer);
    entry.pollTimer = null;
  }
  if (entry.fd !== -1 && entry.waiter === null && entry.files.size > 0) {
    idle.delete(entry);
    idle.add(entry);
    if (idle.size > IDLE_DESCRIPTORS) closeIdle(idle.values().next().value as Entry);
    return;
  }
  closeIdle(entry);
}

function closeIdle(entry: Entry): void {
  idle.delete(entry);
  if (entry.fd !== -1) {
    fs.closeSync(entry.fd);
    entry.fd = -1;
  }
  if (entry.waiter === null) detach(entry);
}

/**
 * Closes the descriptors that idle lock files keep open (at most 32, none of
 * them holding a lock). Locks that are held or awaited are not touched.
 */
export function closeIdleLockFiles(): void {
  for (const entry of [...idle]) closeIdle(entry);
}

function flockOp(mode: LockMode): number {
  return mode === 'exclusive' ? LOCK_EX : LOCK_SH;
}

/**
 * One non-blocking kernel attempt for an idle entry. After winning, checks
 * that the locked inode still has a name: a peer that deleted and recreated
 * the lock file (Python filelock 3.21-3.29.4 does), or renamed another file
 * over it, would otherwise leave two holders on two inodes. One fstat covers
 * both; after a blocking wait, when the window is wide, the waiter thread
 * also re-resolves the path.
 */
function tryKernel(entry: Entry, mode: LockMode): 'granted' | 'busy' | 'moved' {
  if (disabled) {
    warnDisabled();
    return 'granted';
  }
  if (!native.flock(entry.fd, flockOp(mode) | LOCK_NB)) return 'busy';
  if (!native.isLinked(entry.fd)) {
    native.flock(entry.fd, LOCK_UN);
    return 'moved';
  }
  return 'granted';
}

function grantTo(entry: Entry, mode: LockMode): void {
  entry.holders++;
  entry.holderMode = mode;
}

/**
 * Tries to grant at once, in FIFO order: only when nobody in this process is
 * queued ahead. Returns null when the caller has to wait.
 */
function tryNow(file: string, mode: LockMode, started: number): Grant | null {
  for (;;) {
    const entry = entryFor(file, mode);
    if (entry.queue.length > 0) return null;
    if (entry.holders > 0) {
      if (entry.holderMode === 'shared' && mode === 'shared') {
        grantTo(entry, mode);
        return { entry, mode, waitedMs: now() - started };
      }
      return null;
    }
    const outcome = tryKernel(entry, mode);
    if (outcome === 'granted') {
      grantTo(entry, mode);
      return { entry, mode, waitedMs: now() - started };
    }
    if (outcome === 'busy') {
      retireIfIdle(entry);
      return null;
    }
    debug('lock file %s was replaced; reopening', file);
    detach(entry);
    retireIfIdle(entry);
  }
}

function wouldBlockError(code: 'ELOCKED' | 'ELOCKTIMEOUT', file: string, mode: LockMode, started: number): LockError {
  const waited = now() - started;
  const entry = byFile.get(file);
  const what = code === 'ELOCKED'
    ? `Lock ${file} (${mode}) is busy and timeout is 0`
    : `Timed out after ${Math.round(waited)} ms waiting for lock ${file} (${mode})`;
  // Who holds it comes from /proc/locks, which costs milliseconds to read on
  // a busy kernel; err.holders reads it when asked, so the error is not late.
  const who = entry !== undefined && entry.holders > 0
    ? 'this process holds it (nested acquisition from inside the holder is not supported)'
    : `another process holds it (see err.holders, or run \`file-locking holders ${file}\`)`;
  return new LockError(code, `${what}: ${who}. Retry later or raise \`timeout\`.`, {
    lockFile: file, mode, waitedMs: waited, holders: () => lockHolders(file),
  });
}

/** Releases one grant; hands the lock to the next in-process waiter. */
export function release(grant: Grant): void {
  const entry = grant.entry;
  entry.holders--;
  if (entry.holders > 0) return;
  if (!disabled) native.flock(entry.fd, LOCK_UN);
  if (entry.queue.length > 0) pump(entry);
  else retireIfIdle(entry);
}

/** Grants queued requests in order, as far as the lock allows. */
function pump(entry: Entry): void {
  while (entry.queue.length > 0) {
    const head = entry.queue[0];
    if (entry.holders > 0) {
      if (entry.holderMode !== 'shared' || head.mode !== 'shared') break;
      entry.queue.shift();
      grantTo(entry, head.mode);
      head.resolve({ entry, mode: head.mode, waitedMs: now() - head.started });
      continue;
    }
    let outcome: 'granted' | 'busy' | 'moved';
    try {
      if (entry.fd === -1 || (head.mode === 'exclusive' && !entry.writable)) entryFor(head.file, head.mode);
      outcome = tryKernel(entry, head.mode);
    } catch (err) {
      entry.queue.shift();
      head.reject(lockFileError(head.file, head.mode, head.started, err));
      continue;
    }
    if (outcome === 'granted') {
      entry.queue.shift();
      grantTo(entry, head.mode);
      head.resolve({ entry, mode: head.mode, waitedMs: now() - head.started });
      continue;
    }
    if (outcome === 'moved') {
      rehome(entry);
      return;
    }
    waitInKernel(entry, head);
    return;
  }
  if (entry.queue.length === 0) {
    entry.waiter?.control.abandon();
    retireIfIdle(entry);
  }
}

/** The lock file was replaced: move every waiter to the entry of the new inode. */
function rehome(entry: Entry): void {
  detach(entry);
  const moved = entry.queue.splice(0);
  retireIfIdle(entry);
  for (const req of moved) {
    let target: Entry;
    try {
      target = entryFor(req.file, req.mode);
    } catch (err) {
      req.reject(lockFileError(req.file, req.mode, req.started, err));
      continue;
    }
    target.queue.push(req);
    if (target.queue.length === 1) pump(target);
  }
}

function waitInKernel(entry: Entry, head: Request): void {
  if (head.opts.strategy === 'poll') {
    if (entry.pollTimer === null) {
      entry.pollTimer = setTimeout(() => {
        entry.pollTimer = null;
        pump(entry);
      }, head.opts.pollInterval);
    }
    return;
  }
  if (entry.waiter !== null) {
    // One kernel waiter per lock file serves whoever is at the head now. If it
    // was abandoned and has already won, its report is on the way and pumps again.
    entry.waiter.control.resume();
    return;
  }
  let opened: LockFd;
  try {
    opened = descriptorForWaiter(entry, head.file, head.mode);
  } catch (err) {
    entry.queue.shift();
    head.reject(lockFileError(head.file, head.mode, head.started, err));
    pump(entry);
    return;
  }
  startKernelWaiter(entry, opened, head.file, head.mode);
}

/**
 * The descriptor a kernel waiter will own: the entry's own, which holds no
 * lock whenever a wait starts, so that winning costs no open and no close on
 * the hand-off path. The thread owns it from then on: if everybody gives up,
 * it finishes its wait, unlocks and closes it by itself.
 */
function descriptorForWaiter(entry: Entry, file: string, mode: LockMode): LockFd {
  if (entry.fd !== -1 && entry.holders === 0 && (mode === 'shared' || entry.writable)) {
    const handed = { fd: entry.fd, writable: entry.writable };
    entry.fd = -1;
    return handed;
  }
  return openLockFile(file, mode);
}

function startKernelWaiter(entry: Entry, opened: LockFd, file: string, mode: LockMode): KernelWaiter {
  const { fd, writable } = opened;
  const waiter: KernelWaiter = {
    fd, writable, mode, file,
    control: native.startWait(fd, 0, flockOp(mode), file,
      (err, abandoned, moved) => onKernelWon(entry, waiter, err, abandoned === true, moved === true)),
  };
  entry.waiter = waiter;
  debug('waiting in the kernel for %s (%s)', file, mode);
  return waiter;
}

function onKernelWon(entry: Entry, waiter: KernelWaiter, err: NodeJS.ErrnoException | null, abandoned: boolean, moved: boolean): void {
  if (entry.waiter !== waiter) {
    // A report of a waiter that a sync acquisition already replaced: it can
    // only be an abandoned one, which cleaned up after itself.
    if (err === null && !abandoned) releaseDescriptor(waiter.fd);
    return;
  }
  entry.waiter = null;
  if (abandoned) {
    if (entry.queue.length > 0) pump(entry);
    else retireIfIdle(entry);
    return;
  }
  if (err !== null) {
    // The kernel refused the wait itself (ENOLCK, EIO, EDEADLK…): every waiter
    // would get the same answer.
    for (const req of entry.queue.splice(0)) req.reject(lockFileError(req.file, req.mode, req.started, err));
    retireIfIdle(entry);
    return;
  }
  const head = entry.queue[0];
  if (head === undefined || entry.holders > 0 || head.mode !== waiter.mode || moved) {
    releaseDescriptor(waiter.fd);
    if (moved && entry.queue.length > 0) rehome(entry);
    else if (entry.queue.length > 0) pump(entry);
    else retireIfIdle(entry);
    return;
  }
  adopt(entry, waiter);
  entry.queue.shift();
  grantTo(entry, head.mode);
  head.resolve({ entry, mode: head.mode, waitedMs: now() - head.started });
  pump(entry);
}

function releaseDescriptor(fd: number): void {
  native.flock(fd, LOCK_UN);
  fs.closeSync(fd);
}

/** The kernel lock now lives on `fd` (a waiter's): make it the entry's. */
function adopt(entry: Entry, { fd, writable }: LockFd): void {
  if (entry.fd !== -1) fs.closeSync(entry.fd);
  entry.fd = fd;
  entry.writable = writable;
}

function abortError(file: string, mode: LockMode, started: number, signal: AbortSignal): LockError {
  return new LockError('ABORT_ERR', `Waiting for lock ${file} (${mode}) was aborted`, {
    lockFile: file, mode, waitedMs: now() - started, cause: signal.reason,
  });
}

/** Acquires asynchronously: at once when free, else in FIFO order. */
export function acquire(file: string, mode: LockMode, opts: WaitOptions): Promise<Grant> {
  const started = now();
  const { signal, timeout } = opts;
  if (signal?.aborted) return Promise.reject(abortError(file, mode, started, signal));
  let grant: Grant | null;
  try {
    grant = tryNow(file, mode, started);
  } catch (err) {
    return Promise.reject(lockFileError(file, mode, started, err));
  }
  if (grant !== null) return Promise.resolve(grant);
  if (timeout <= 0) return Promise.reject(wouldBlockError('ELOCKED', file, mode, started));

  return new Promise<Grant>((resolve, reject) => {
    let entry: Entry;
    try {
      entry = entryFor(file, mode);
    } catch (err) {
      reject(lockFileError(file, mode, started, err));
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const giveUp = (err: LockError): void => {
      const home = findQueued(req);
      if (home === null) return;
      home.queue.splice(home.queue.indexOf(req), 1);
      req.cleanup();
      reject(err);
      // The head may have changed: shared waiters behind an exclusive one can go now.
      pump(home);
    };
    const onAbort = (): void => giveUp(abortError(file, mode, started, signal as AbortSignal));
    const req: Request = {
      file, mode, started, opts,
      resolve: (g) => { req.cleanup(); resolve(g); },
      reject: (e) => { req.cleanup(); reject(e); },
      cleanup: () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      },
    };
    if (Number.isFinite(timeout)) {
      timer = setTimeout(() => giveUp(wouldBlockError('ELOCKTIMEOUT', file, mode, started)), timeout);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    entry.queue.push(req);
    if (entry.queue.length === 1) pump(entry);
  });
}

function findQueued(req: Request): Entry | null {
  const entry = byFile.get(req.file);
  if (entry !== undefined && entry.queue.includes(req)) return entry;
  for (const e of byInode.values()) if (e.queue.includes(req)) return e;
  return null;
}

/** Acquires without waiting: a grant, or null when busy. */
export function tryAcquire(file: string, mode: LockMode): Grant | null {
  const started = now();
  try {
    return tryNow(file, mode, started);
  } catch (err) {
    throw lockFileError(file, mode, started, err);
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Acquires synchronously, blocking the thread for at most `timeout` ms. A
 * lock that this process holds or waits for fails at once with ELOCKHELD:
 * the code that would release it can never run while this thread blocks.
 * The wait shares the entry's one kernel waiter with async acquisitions.
 */
export function acquireSync(file: string, mode: LockMode, opts: WaitOptions): Grant {
  const started = now();
  const { timeout } = opts;
  for (let backoff = 1; ; backoff = Math.min(backoff * 2, 20)) {
    let entry: Entry;
    try {
      const grant = tryNow(file, mode, started);
      if (grant !== null) return grant;
      entry = entryFor(file, mode);
    } catch (err) {
      throw lockFileError(file, mode, started, err);
    }
    if (timeout <= 0) {
      retireIfIdle(entry);
      throw wouldBlockError('ELOCKED', file, mode, started);
    }
    if (entry.holders > 0 || entry.queue.length > 0) {
      retireIfIdle(entry);
      throw new LockError('ELOCKHELD',
        `Lock ${file} (${mode}) is already held or awaited in this process; a synchronous wait ` +
        'would block the code that releases it. Use the async API, or release it first.', {
          lockFile: file, mode, waitedMs: now() - started,
        });
    }
    const remaining = timeout - (now() - started);
    if (remaining <= 0) {
      retireIfIdle(entry);
      throw wouldBlockError('ELOCKTIMEOUT', file, mode, started);
    }
    let waiter: KernelWaiter;
    const orphan = entry.waiter;
    if (opts.strategy === 'poll') {
      sleepSync(Math.min(opts.pollInterval, remaining));
      continue;
    }
    if (orphan !== null && orphan.mode === mode && orphan.control.resume()) {
      waiter = orphan;
    } else if (orphan !== null) {
      // An abandoned waiter of the other mode is still blocked, or finished
      // with its report queued behind this very call: never start a second
      // kernel waiter; look at it, and otherwise retry without blocking.
      const state = takeSync(entry, orphan, 0, file, mode, started);
      if (state === 'granted') return grantAdopted(entry, orphan, mode, started);
      if (state === 'pending') sleepSync(Math.min(backoff, remaining));
      continue;
    } else {
      let opened: LockFd;
      try {
        opened = descriptorForWaiter(entry, file, mode);
      } catch (err) {
        throw lockFileError(file, mode, started, err);
      }
      if (!Number.isFinite(remaining)) {
        // Nothing to give up on: block right here, one wake-up instead of two.
        try {
          native.flock(opened.fd, flockOp(mode));
        } catch (err) {
          fs.closeSync(opened.fd);
          throw lockFileError(file, mode, started, err);
        }
        if (native.sameFile(opened.fd, file)) return grantAdopted(entry, opened, mode, started);
        forgetReplaced(entry, opened.fd);
        continue;
      }
      waiter = startKernelWaiter(entry, opened, file, mode);
    }
    const state = takeSync(entry, waiter, remaining, file, mode, started);
    if (state === 'granted') return grantAdopted(entry, waiter, mode, started);
    if (state === 'pending') {
      waiter.control.abandon();
      retireIfIdle(entry);
      throw wouldBlockError('ELOCKTIMEOUT', file, mode, started);
    }
  }
}

/** Blocks on a kernel waiter; `granted` means its descriptor holds `mode` for us now. */
function takeSync(entry: Entry, waiter: KernelWaiter, ms: number, file: string, mode: LockMode, started: number):
  'granted' | 'pending' | 'retry' {
  let state: ReturnType<KernelWaiter['control']['waitFor']>;
  try {
    state = waiter.control.waitFor(ms);
  } catch (err) {
    entry.waiter = null;
    throw lockFileError(file, mode, started, err);
  }
  if (state === 'pending') return 'pending';
  entry.waiter = null;
  if (state === 'ended') return 'retry';
  if (state === 'moved') forgetReplaced(entry, waiter.fd);
  else if (waiter.mode !== mode) releaseDescriptor(waiter.fd);
  else return 'granted';
  return 'retry';
}

/**
 * A sync wait won `fd`, but a peer replaced the lock file meanwhile: let go,
 * and forget the entry so that the retry starts over on the new inode.
 */
function forgetReplaced(entry: Entry, fd: number): void {
  releaseDescriptor(fd);
  detach(entry);
  retireIfIdle(entry);
}

function grantAdopted(entry: Entry, opened: LockFd, mode: LockMode, started: number): Grant {
  adopt(entry, opened);
  grantTo(entry, mode);
  return { entry, mode, waitedMs: now() - started };
}

/** Normalises a lock file path so that one file has one key per spelling. @internal */
export function lockPath(file: string): string {
  return path.resolve(file);
}
