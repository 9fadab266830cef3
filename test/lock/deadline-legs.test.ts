import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileLock } from '../../lib';
import { WARM_UP_MS, firstLeg } from '../../lib/lock/deadline';
import { FIXTURES_JS, ROOT, sandbox, waitForLine } from '../helpers';

const LIB = path.join(ROOT, 'dist', 'lib');

// A timed wait sleeps in two legs: until WARM_UP_MS before its deadline, then
// the rest (lib/lock/deadline.ts). These tests pin down that the second leg
// is a real part of the wait: it can be granted, aborted and timed out, and
// it leaves no timer behind. Each of those runs in a process of its own
// (test/fixtures/two_leg_wait.ts), where the live timers are the wait's.
describe('a timed wait in two legs', () => {
  const t = sandbox();
  const TIMEOUT = 200;

  it('splits only waits long enough to have a warm-up: the first leg ends WARM_UP_MS before the deadline', () => {
    assert.equal(firstLeg(TIMEOUT), TIMEOUT - WARM_UP_MS);
    assert.equal(firstLeg(4 * WARM_UP_MS), 4 * WARM_UP_MS, 'a short wait is one leg');
    assert.equal(firstLeg(Infinity), Infinity);
  });

  /** Runs one scenario of test/fixtures/two_leg_wait.ts in a process of its own. */
  async function inChild(scenario: 'granted' | 'aborted' | 'timeout', name: string): Promise<Record<string, number | string | boolean | null>> {
    const child = t.spawn(process.execPath, [path.join(FIXTURES_JS, 'two_leg_wait.js'), scenario, t.file(name), String(TIMEOUT)]);
    const line = await waitForLine(child, /^\{/);
    return JSON.parse(line) as Record<string, number | string | boolean | null>;
  }

  it('a wait granted in its second leg gets the lock, and the release ends the second leg\'s timer', async () => {
    const r = await inChild('granted', 'granted.lock');
    assert.equal(r.held, true);
    assert.ok(Number(r.waitedMs) >= TIMEOUT - WARM_UP_MS, `granted after the first leg (waited ${r.waitedMs} ms)`);
    assert.equal(r.whileHeld, Number(r.before) + 1, 'the second leg\'s timer runs while the lock is held');
    assert.equal(r.after, r.before, 'and the release ends it');
  });

  it('a wait aborted in its second leg rejects with ABORT_ERR and leaves no timer', async () => {
    const r = await inChild('aborted', 'aborted.lock');
    assert.equal(r.code, 'ABORT_ERR');
    assert.equal(r.after, r.before);
  });

  it('a wait that reaches its deadline rejects with ELOCKTIMEOUT after both legs and leaves no timer', async () => {
    const r = await inChild('timeout', 'timeout.lock');
    assert.equal(r.code, 'ELOCKTIMEOUT');
    // Timers count whole milliseconds: the deadline can pass up to 1 ms early by performance.now().
    assert.ok(Number(r.waitedMs) >= TIMEOUT - 1, `waited ${r.waitedMs} ms`);
    assert.equal(r.after, r.before);
  });

  it('a sync wait granted in its second leg gets the lock: the first leg\'s end is not a timeout', async () => {
    // The holder is a worker thread (its own lock table, its own descriptor),
    // which releases at a moment this thread chose before it blocked.
    const file = t.file('sync.lock');
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const { FileLock } = require(${JSON.stringify(LIB)});
      const h = new FileLock(workerData.file).acquireSync('exclusive');
      parentPort.postMessage('held');
      Atomics.wait(workerData.shared, 0, 0);
      // Slot 1: when to release, in ms after the waiter's start.
      Atomics.wait(workerData.shared, 0, 1, workerData.shared[1]);
      h.release();`, { eval: true, workerData: { file, shared } });
    try {
      await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      shared[1] = TIMEOUT - WARM_UP_MS / 2;
      Atomics.store(shared, 0, 1);
      Atomics.notify(shared, 0);
      const h = new FileLock(file).acquireSync('exclusive', { timeout: TIMEOUT });
      assert.ok(h.held);
      assert.ok(h.waitedMs > TIMEOUT - WARM_UP_MS, `granted after the first leg (waited ${h.waitedMs} ms)`);
      h.release();
    } finally {
      await worker.terminate();
    }
  });
});
