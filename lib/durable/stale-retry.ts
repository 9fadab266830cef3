/**
 * ESTALE, retried once: on a network file system, a path lookup after
 * another client's rename can hit a stale cached handle, and the same lookup
 * made again gets a fresh one. Only for steps that are safe to repeat (a
 * whole read; a rename that did not happen). A second ESTALE propagates.
 * @internal
 */
import { isStale } from '../errors';

/** Runs `fn`, and once more if it fails with ESTALE. */
export function retryStale<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isStale(err)) throw err;
    return fn();
  }
}

/** Async {@link retryStale}. */
export async function retryStaleAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isStale(err)) throw err;
    return fn();
  }
}
