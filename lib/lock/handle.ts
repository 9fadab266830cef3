import type { LockMode } from '../errors';
import type { Grant } from './entry-table';
import { release } from './fifo-queue';

/**
 * A held lock. Release it exactly once, with {@link LockHandle.release} or
 * through `using` / `await using`; releasing again does nothing.
 */
export class LockHandle implements Disposable, AsyncDisposable {
  #grant: Grant | null;
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
}
