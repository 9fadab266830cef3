/**
 * Replacing a file atomically and durably, the caller holding its exclusive
 * lock: pending file → keep attributes → write → fsync → rename → fsync the
 * directory. Any failure before the rename leaves the file as it was and
 * removes the temp file.
 * @internal
 */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { writeError } from '../errors';
import type { NameAt } from '../native';
import type { LockHandle } from '../lock/handle';
import type { KeptRead } from './file-text';
import {
  AtomicOutput, abandonTemp, closeDir, closePins, closeTemp, commitTemp, commitTempDurably, dirOf, keepAttributes, openTemp,
  writeAllSync,
  type AtomicWriteCallback, type PendingFile,
} from './pending-file';

const fsyncAsync = promisify(fs.fsync);

/** Carries an error thrown by the caller's write callback through our cleanup. */
class CallbackError {
  constructor(readonly error: unknown) {}
}

/** @internal */
export interface ReplaceOptions {
  durable: boolean;
  mode?: number;
  /** Runs right before the rename; throwing abandons the write (the fencing check). */
  beforeRename?: () => void;
  /**
   * Collects descriptors that keep the replaced file's inode alive, for the
   * caller to {@link closePins} once it has released the lock. Without it
   * the write starts their (background) close itself before returning. A
   * durable commit that gives the lock back itself (`releasing`) closes
   * them too, and empties the array.
   */
  pins?: number[];
  /** The file is this name in this open directory, resolved by the caller: see {@link openTemp}. */
  at?: NameAt;
  /**
   * The caller's exclusive lock, which it releases as soon as this write
   * returns. A durable commit then gives the kernel lock back itself, right
   * after the directory's fsync, so that the next process need not wait for
   * this thread to wake up first. Only on success; the handle stays the
   * caller's to release.
   */
  releasing?: LockHandle;
  /**
   * The file as the caller read it under this lock, through a descriptor it
   * has put in `pins`: it is the replaced file's pin and gives its attributes,
   * so the write does not open the file again.
   */
  kept?: KeptRead;
}

/**
 * Replaces `target` with `data` (or what a callback writes): temp file in the
 * same directory → fchown/fchmod to the old file's → write → fsync → rename →
 * fsync the directory. The caller holds the exclusive lock.
 *
 * The small syscalls run synchronously: every other process waits while the
 * lock is held, and a threadpool round trip per step (about 45 µs here, ten
 * of them per write) would hold it several times longer. The fsyncs, which
 * can take milliseconds, run off the event loop; where no check (fencing)
 * has to run right before the rename, fsync → close → rename → fsync of the
 * directory are one threadpool job (one wake-up of this thread, not two).
 * @internal
 */
export async function replaceFile(filePath: string, data: string | Uint8Array | AtomicWriteCallback,
  opts: ReplaceOptions): Promise<void> {
  let t: PendingFile | null = null;
  let renamed = false;
  const pins = opts.pins ?? [];
  try {
    t = openTemp(filePath, opts.mode, pins, opts.at, opts.durable, opts.kept);
    keepAttributes(t);
    if (typeof data === 'function') {
      try {
        await data(new AtomicOutput(t.fd));
      } catch (err) {
        throw new CallbackError(err);
      }
    } else {
      writeAllSync(t.fd, data);
    }
    if (opts.durable && opts.beforeRename === undefined) {
      try {
        if (await commitTempDurably(t, opts.releasing?.earlyUnlockFd() ?? -1, pins)) opts.releasing?.markKernelUnlocked();
      } finally {
        renamed = t.path === '';
      }
    } else {
      if (opts.durable) await fsyncAsync(t.fd);
      closeTemp(t);
      // Last step before the rename: a refusal (EFENCED) leaves the file as it was.
      opts.beforeRename?.();
      commitTemp(t);
      renamed = true;
      // The rename is only durable once the directory entry is on disk.
      if (opts.durable) await fsyncAsync(dirOf(t));
    }
  } catch (err) {
    abandonTemp(t);
    // The callback's own error is the caller's: it propagates unchanged.
    throw err instanceof CallbackError ? err.error : writeError(filePath, err, renamed);
  } finally {
    closeDir(t);
    if (opts.pins === undefined) closePins(pins);
  }
}

/** Synchronous {@link replaceFile}. @internal */
export function replaceFileSync(filePath: string, data: string | Uint8Array, opts: ReplaceOptions): void {
  let t: PendingFile | null = null;
  let renamed = false;
  const pins = opts.pins ?? [];
  try {
    t = openTemp(filePath, opts.mode, pins, opts.at, opts.durable, opts.kept);
    keepAttributes(t);
    writeAllSync(t.fd, data);
    if (opts.durable) fs.fsyncSync(t.fd);
    closeTemp(t);
    // Last step before the rename: a refusal (EFENCED) leaves the file as it was.
    opts.beforeRename?.();
    commitTemp(t);
    renamed = true;
    if (opts.durable) fs.fsyncSync(dirOf(t));
  } catch (err) {
    abandonTemp(t);
    throw writeError(filePath, err, renamed);
  } finally {
    closeDir(t);
    if (opts.pins === undefined) closePins(pins);
  }
}
