import { debuglog } from 'node:util';
import type { LockMode } from '../errors';

/**
 * `NODE_DEBUG=file-locking` tracing: waits in the kernel, grants (with how
 * long they waited), releases (with how long the lock was held), failed
 * acquisitions (with their code) and replaced lock files. Callers test
 * `trace.enabled` first, so that nothing is formatted or timed when it is off.
 * @internal
 */
export const trace = debuglog('file-locking');

/** Traces an acquisition that failed, and passes its error on. @internal */
export function traceFailure(lockFile: string, mode: LockMode, err: unknown): never {
  const e = err as { code?: string; waitedMs?: number };
  trace('failed %s (%s): %s after %s ms', lockFile, mode, e.code ?? String(err), (e.waitedMs ?? 0).toFixed(1));
  throw err;
}
