/**
 * The FIFO queue of an entry: grants at once when the lock is free and
 * nobody in this process is queued ahead, else queues the request and serves
 * the queue in order, sharing the lock among consecutive shared requests.
 * At most one native thread per entry waits in the kernel, for whoever is at
 * the head (or a poll timer, for the `'poll'` strategy).
 * @internal
 */
import { native } from '../native';
import { abortError, lockFileError, wouldBlockError, type LockError, type LockMode } from '../errors';
import { lockHolders } from './holders';
import { trace } from './trace';
import {
  adopt, heldHere, descriptorForWaiter, detach, entryFor, findQueued, flockOp, now, releaseDescriptor, retireIfIdle, stillNamed, waiterPath,
  type Entry, type Grant, type KernelWaiter, type LockFd, type Request, type WaitOptions,
} from './entry-table';
import { disabled, tryKernel, unlockKernel } from './kernel-attempt';
import { HandoffStage, handoffStage } from './handoff-stages';
import { firstLeg } from './deadline';

export function grantTo(entry: Entry, mode: LockMode): void {
  entry.holders++;
  entry.holderMode = mode;
}

/**
 * Tries to grant at once, in FIFO order: only when nobody in this process is
 * queued ahead. Returns null when the caller has to wait.
 */
export function tryNow(file: string, mode: LockMode, started: number): Grant | null {
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
    trace('lock file %s was replaced; reopening', file);
    detach(entry);
    retireIfIdle(entry);
  }
}

/** Releases one grant; hands the lock to the next in-process waiter. */
export function release(grant: Grant): void {
  const entry = grant.entry;
  entry.holders--;
  if (entry.holders === 0) {
    if (grant.unlocked !== true) unlockKernel(entry.fd);
    if (entry.queue.length > 0) pump(entry);
    else retireIfIdle(entry);
  }
  if (grant.timer !== undefined) clearTimeout(grant.timer);
}

/**
 * The descriptor whose kernel lock another thread may give back for `grant`
 * just before the grant itself is released (a durable commit, after its last
 * fsync), or -1. Only an exclusive grant qualifies: it is the entry's only
 * holder, so nothing in this process relies on the kernel lock once the
 * holder is done, and in-process waiters queue on `holders` until
 * {@link release}. With locking disabled there is nothing to give back.
 */
export function earlyUnlockFd(grant: Grant): number {
  return grant.mode === 'exclusive' && grant.entry.holders === 1 && !disabled ? grant.entry.fd : -1;
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

export function startKernelWaiter(entry: Entry, opened: LockFd, file: string, mode: LockMode): KernelWaiter {
  const { fd, writable } = opened;
  const waiter: KernelWaiter = {
    fd, writable, mode, file,
    control: native.startFlockWait(fd, flockOp(mode), waiterPath(file),
      (err, abandoned, moved) => onKernelWon(entry, waiter, err, abandoned === true, moved === true)),
  };
  entry.waiter = waiter;
  trace('waiting in the kernel for %s (%s)', file, mode);
  return waiter;
}

function onKernelWon(entry: Entry, waiter: KernelWaiter, err: NodeJS.ErrnoException | null, abandoned: boolean, moved: boolean): void {
  handoffStage(HandoffStage.Entered);
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
  if (!moved && waiterPath(waiter.file) === '') moved = !stillNamed(waiter.fd, waiter.file);
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
  handoffStage(HandoffStage.Bookkept);
  head.resolve({ entry, mode: head.mode, waitedMs: now() - head.started });
  handoffStage(HandoffStage.Resolved);
  pump(entry);
}

/**
 * Acquires asynchronously: at once when free, else in FIFO order. The
 * promise resolves to `wrap(grant)`, made right where the grant is, so that
 * the caller needs no promise of its own on top (one await hop less between
 * a hand-off and the code waiting for it).
 */
export function acquire<T>(file: string, mode: LockMode, opts: WaitOptions, wrap: (grant: Grant) => T): Promise<T> {
  const started = now();
  const { signal, timeout } = opts;
  if (signal?.aborted) return Promise.reject(abortError(file, mode, started, signal));
  let grant: Grant | null;
  try {
    grant = tryNow(file, mode, started);
  } catch (err) {
    return Promise.reject(lockFileError(file, mode, started, err));
  }
  if (grant !== null) return Promise.resolve(wrap(grant));
  if (timeout <= 0) return Promise.reject(busyError('ELOCKED', file, mode, started));

  return new Promise<T>((resolve, reject) => {
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
      resolve: (g) => {
        signal?.removeEventListener('abort', onAbort);
        g.timer = timer;
        resolve(wrap(g));
      },
      reject: (e) => { req.cleanup(); reject(e); },
      cleanup: () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      },
    };
    if (Number.isFinite(timeout)) {
      const timedOut = (): LockError => busyError('ELOCKTIMEOUT', file, mode, started);
      const atDeadline = (): void => giveUp(timedOut());
      const leg = firstLeg(timeout);
      timer = setTimeout(leg === timeout ? atDeadline : () => {
        if (findQueued(req) === null) return;
        // A dry run of the error, the one cold step left on the deadline's path (see ./deadline).
        timedOut();
        const rest = timeout - (now() - started);
        if (rest <= 0) atDeadline();
        else timer = setTimeout(atDeadline, Math.ceil(rest));
      }, leg);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    entry.queue.push(req);
    if (entry.queue.length === 1) pump(entry);
  });
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

/** ELOCKED or ELOCKTIMEOUT for `file`, saying whether this very process holds it. */
export function busyError(code: 'ELOCKED' | 'ELOCKTIMEOUT', file: string, mode: LockMode, started: number): LockError {
  return wouldBlockError(code, file, mode, started, heldHere(file), () => lockHolders(file));
}
