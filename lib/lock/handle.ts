import type { LockMode } from '../errors';
import type { Grant } from './entry-table';
import { earlyUnlockFd, release } from './fifo-queue';
import { trace } from './trace';

/**
 * A held lock. Release it exactly once, with {@link LockHandle.release} or
 * through `using` / `await using`; releasing again does nothing.
 */
export class LockHandle implements Disposable, AsyncDisposable {
  #grant: Grant | null;
  /** performance.now() at the grant, kept only while tracing. */
  #grantedAt = 0;
  /** The lock file, as given to {@link FileLock}. */
  readonly lockFile: string;
  /** The mode this handle holds. */
  readonly mode: LockMode;
  /** How long the acquisition waited, in milliseconds. */
  readonly waitedMs: number;

  /** @internal */
  constructor(lockFile: string, grant: Grant) {
    this.#grant = grant;
    this.lockFile = lockFile;
    this.mode = grant.mode;
    this.waitedMs = grant.waitedMs;
    if (trace.enabled) {
      this.#grantedAt = performance.now();
      trace('granted %s (%s) after waiting %s ms', lockFile, this.mode, this.waitedMs.toFixed(1));
    }
  }

  /** Whether this handle still holds the lock. */
  get held(): boolean {
    return this.#grant !== null;
  }

  /** Releases the lock and hands it to the next waiter. */
  release(): void {
    const grant = this.#grant;
    if (grant === null) return;
    this.#grant = null;
    // Traced before the release: it may grant the next waiter at once.
    if (trace.enabled) trace('released %s (%s) after holding %s ms', this.lockFile, this.mode, (performance.now() - this.#grantedAt).toFixed(1));
    release(grant);
  }

  /** Releases the lock at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** Releases the lock at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }

  /** @internal */
  get grant(): Grant | null {
    return this.#grant;
  }

  /**
   * The descriptor whose kernel lock a durable commit may release right
   * after its directory fsync, when the caller releases this handle as soon
   * as the commit returns; -1 when it may not (see `earlyUnlockFd`). @internal
   */
  earlyUnlockFd(): number {
    return this.#grant === null ? -1 : earlyUnlockFd(this.#grant);
  }

  /** The kernel lock of {@link LockHandle.earlyUnlockFd} was released; release() does the rest. @internal */
  markKernelUnlocked(): void {
    if (this.#grant !== null) this.#grant.unlocked = true;
  }
}
