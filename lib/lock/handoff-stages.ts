/**
 * When the JS part of the last hand-off passed each stage, for the
 * benchmark's breakdown (bench/handoff.ts). Async: onKernelWon entered, the
 * queue and grant bookkeeping done, the waiter's promise resolved. Sync,
 * blocked on the calling thread: flock() and the identity check returned.
 * CLOCK_MONOTONIC
 * ns, as `process.hrtime.bigint()` and the native stamps count. Off unless a
 * benchmark peer turns it on; off, a stage costs one branch.
 * @internal
 */
export const enum HandoffStage { Entered, Bookkept, Resolved, SyncReturned }

let recording = false;
const stamps: bigint[] = [0n, 0n, 0n, 0n];

export function recordHandoffStages(on: boolean): void {
  recording = on;
}

export function handoffStage(stage: HandoffStage): void {
  if (recording) stamps[stage] = process.hrtime.bigint();
}

/** [entered, bookkept, resolved, syncReturned] of the last hand-offs recorded. */
export function lastHandoffStages(): readonly bigint[] {
  return stamps;
}
