/**
 * One non-blocking kernel attempt on an entry's descriptor, and the
 * `FILE_LOCKING_DISABLE=1` rollback switch, which turns every attempt into a
 * grant (the plan's §6 "disable locking", loud about what it gives up).
 * @internal
 */
import { native } from '../native';
import type { LockMode } from '../errors';
import { flockOp, type Entry } from './entry-table';

const { LOCK_NB, LOCK_UN } = native.constants;

export const disabled = process.env.FILE_LOCKING_DISABLE === '1';

let warnedDisabled = false;

function warnDisabled(): void {
  if (warnedDisabled) return;
  warnedDisabled = true;
  process.emitWarning(
    'FILE_LOCKING_DISABLE=1: file-locking takes no kernel locks. Other processes are NOT excluded, ' +
    'and concurrent read-modify-write cycles will lose updates. Unset it as soon as the emergency is over.',
    { code: 'FILE_LOCKING_DISABLED' });
}

/**
 * One non-blocking kernel attempt for an idle entry. After winning, checks
 * that the locked inode still has a name: a peer that deleted and recreated
 * the lock file (Python filelock 3.21-3.29.4 does), or renamed another file
 * over it, would otherwise leave two holders on two inodes. One fstat covers
 * both; after a blocking wait, when the window is wide, the waiter thread
 * also re-resolves the path.
 */
export function tryKernel(entry: Entry, mode: LockMode): 'granted' | 'busy' | 'moved' {
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

/** Gives the kernel lock on `fd` back (nothing to give back while disabled). */
export function unlockKernel(fd: number): void {
  if (!disabled) native.flock(fd, LOCK_UN);
}
