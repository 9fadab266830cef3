/**
 * How a timed wait reaches its deadline on time: in two legs. The first
 * sleeps until `WARM_UP_MS` before the deadline; the process then does a dry
 * run of the deadline's work (it builds the timeout error and drops it) and
 * sleeps the rest.
 *
 * Why: a process that has slept for a while wakes up cold. On a shared VM
 * its memory has left the caches by then (measured here: a 1 MB memset
 * takes 0.02 ms after 5 ms of sleep, 1-2 ms after 200 ms; building one
 * Error, 1.5 ms after 200 ms against 0.02 ms after 5 ms), and a timeout's
 * path (timer, error, rejection, the caller's catch) came 2-6 ms late for
 * it. A timer that fires after a long sleep is itself 2-6 ms late, which the
 * margin absorbs; the second leg is short, and its wake-up warm. A wait
 * granted before the first leg ends, the common case, never sees the second.
 * A finite sync wait that runs on a waiter thread (macOS) stays one leg.
 */

/** How long before the deadline a timed wait wakes up once, to run warm at the deadline. @internal */
export const WARM_UP_MS = 10;

/**
 * How long the first leg of a wait of `ms` sleeps: `ms` itself when it is
 * too short to split, else up to `WARM_UP_MS` before its end. @internal
 */
export function firstLeg(ms: number): number {
  return ms > 4 * WARM_UP_MS ? ms - WARM_UP_MS : ms;
}
