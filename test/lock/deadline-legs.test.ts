import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileLock, LockError } from '../../lib';
import { WARM_UP_MS, firstLeg } from '../../lib/lock/deadline';
import { ROOT, sandbox } from '../helpers';

const LIB = path.join(ROOT, 'dist', 'lib');
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

// A timed wait sleeps in two legs: until WARM_UP_MS before its deadline, then
// the rest (lib/lock/deadline.ts). These tests pin down that the second leg
// is a real part of the wait: it can be granted, aborted and timed out, and
// it leaves no timer behind. In-process, the moments are exact: Node runs
// timers in the order they expire, so a test timer due 1 ms after the first
// leg's end always runs after it.
describe('a timed wait in two legs', () => {
  const t = sandbox();
  const TIMEOUT = 200;
  const IN_SECOND_LEG = TIMEOUT - WARM_UP_MS + 1;

  it('splits only waits long enough to have a warm-up: the first leg ends WARM_UP_MS before the deadline', () => {
    assert.equal(firstLeg(TIMEOUT), TIMEOUT - WARM_UP_MS);
    assert.equal(firstLeg(4 * WARM_UP_MS), 4 * WARM_UP_MS, 'a short wait is one leg');
    assert.equal(firstLeg(Infinity), Infinity);
  });

  it('a wait granted in its second leg gets the lock, and the release ends the second leg\'s timer', async () => {
    const file = t.file('granted.lock');
    const first = await new FileLock(file).acquire('exclusive');
    const before = timers();
    const pending = new FileLock(file).acquire('exclusive', { timeout: TIMEOUT });
    setTimeout(() => first.release(), IN_SECOND_LEG);
    const won = await pending;
    assert.ok(won.held);
    assert.ok(won.waitedMs >= TIMEOUT - WARM_UP_MS, `granted after the first leg (waited ${won.waitedMs} ms)`);
    assert.equal(timers(), before + 1, 'the second leg\'s timer runs while the lock is held');
    won.release();
    assert.equal(timers(), before, 'and the release ends it');
  });

  it('a wait aborted in its second leg rejects with ABORT_ERR and leaves no timer', async () => {
    const file = t.file('aborted.lock');
    const first = await new FileLock(file).acquire('exclusive');
    const before = timers();
    const ac = new AbortController();
    const pending = new FileLock(file).acquire('exclusive', { timeout: TIMEOUT, signal: ac.signal });
    setTimeout(() => ac.abort(), IN_SECOND_LEG);
    await assert.rejects(pending, { code: 'ABORT_ERR' });
    assert.equal(timers(), before);
    first.release();
  });

  it('a wait that reaches its deadline rejects with ELOCKTIMEOUT after both legs and leaves no timer', async () => {
    const file = t.file('timeout.lock');
    const first = await new FileLock(file).acquire('exclusive');
    const before = timers();
    const err = await new FileLock(file).acquire('exclusive', { timeout: TIMEOUT }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof LockError && err.code === 'ELOCKTIMEOUT', String(err));
    // Timers count whole milliseconds: the deadline can pass up to 1 ms early by performance.now().
    assert.ok(err.waitedMs >= TIMEOUT - 1, `waited ${err.waitedMs} ms`);
    assert.equal(timers(), before);
    first.release();
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
