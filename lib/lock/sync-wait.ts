/**
 * Synchronous acquisition: blocks the calling thread for at most `timeout`
 * ms, in flock() itself (native flockHere, with a deadline signal on Linux),
 * or on the entry's one kernel waiter where an abandoned async wait still
 * runs or no deadline can be set (macOS). It refuses at once (ELOCKHELD) a
 * lock this process holds or awaits, since the code that would release it
 * can never run while this thread blocks.
 * @internal
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { lockFileError, lockHeldError, type LockMode } from '../errors';
import {
  adopt, descriptorForWaiter, detach, entryFor, flockOp, now, releaseDescriptor, retireIfIdle, stillNamed, waiterPath,
  type Entry, type Grant, type KernelWaiter, type LockFd, type WaitOptions,
} from './entry-table';
import { busyError, grantTo, startKernelWaiter, tryNow } from './fifo-queue';
import { HandoffStage, handoffStage } from './handoff-stages';
import { firstLeg } from './deadline';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Acquires synchronously, blocking the thread for at most `timeout` ms. A
 * lock that this process holds or waits for fails at once with ELOCKHELD:
 * the code that would release it can never run while this thread blocks.
 * An abandoned async wait still blocked in the kernel is taken over, never
 * doubled by a second kernel waiter.
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
      throw busyError('ELOCKED', file, mode, started);
    }
    if (entry.holders > 0 || entry.queue.length > 0) {
      retireIfIdle(entry);
      throw lockHeldError(file, mode, started);
    }
    const remaining = timeout - (now() - started);
    if (remaining <= 0) {
      retireIfIdle(entry);
      throw busyError('ELOCKTIMEOUT', file, mode, started);
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
      // Block right here, one wake-up instead of two (the kernel wakes this
      // thread, not a waiter thread that then wakes it): forever, or until a
      // deadline signal aimed at this thread where the platform has one.
      const won = blockHere(opened, file, mode, firstLeg(remaining));
      if (won !== null) handoffStage(HandoffStage.SyncReturned);
      if (won instanceof Error) {
        fs.closeSync(opened.fd);
        throw lockFileError(file, mode, started, won);
      }
      if (won === 'granted') return grantAdopted(entry, opened, mode, started);
      if (won === 'moved') {
        forgetReplaced(entry, opened.fd);
        continue;
      }
      if (won === 'timeout') {
        // The first leg or the deadline passed in flock(): the descriptor
        // holds nothing; it is the entry's again.
        adopt(entry, opened);
        if (now() - started < timeout) {
          // A dry run of the error, the one cold step left on the deadline's path (see ./deadline).
          busyError('ELOCKTIMEOUT', file, mode, started);
          continue;
        }
        retireIfIdle(entry);
        throw busyError('ELOCKTIMEOUT', file, mode, started);
      }
      waiter = startKernelWaiter(entry, opened, file, mode);
    }
    const state = takeSync(entry, waiter, remaining, file, mode, started);
    if (state === 'granted') return grantAdopted(entry, waiter, mode, started);
    if (state === 'pending') {
      waiter.control.abandon();
      retireIfIdle(entry);
      throw busyError('ELOCKTIMEOUT', file, mode, started);
    }
  }
}

/** Whether this thread can block in flock() with a deadline (Linux); else a finite wait runs on a waiter thread. */
let timedHere = true;

/**
 * Blocks this thread in flock() on `opened` for at most `ms`, then checks
 * that `file` still names it (in the same native call: the check's stat is
 * the only syscall between the wake-up and the grant). An Error when flock
 * failed; null when no deadline can be set here (the caller waits on a thread).
 */
function blockHere(opened: LockFd, file: string, mode: LockMode, ms: number): 'granted' | 'moved' | 'timeout' | Error | null {
  if (!timedHere && Number.isFinite(ms)) return null;
  try {
    const checked = waiterPath(file);
    const won = native.flockHere(opened.fd, flockOp(mode), ms, checked);
    // A lock beneath a directory is checked relative to it, not by path.
    if (won === 'granted' && checked === '' && !stillNamed(opened.fd, file)) return 'moved';
    return won;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).syscall !== 'timer_create') return err as Error;
    // No thread-directed timers (macOS), no free real-time signal, or no timer left.
    timedHere = false;
    return null;
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
  if (state === 'granted' && waiterPath(file) === '' && !stillNamed(waiter.fd, file)) state = 'moved';
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
