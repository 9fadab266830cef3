import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileLock, LockError } from '../../lib';
import { native } from '../../lib/native';
import { Locker, ROOT, sandbox, sleep, waitForLine } from '../helpers';

const LIB = path.join(ROOT, 'dist', 'lib');
const FLOCK_SYSCALL: Partial<Record<NodeJS.Architecture, string>> = { x64: '73', arm64: '32' };

/** The threads of `pid` that sleep inside flock(2) now (/proc/PID/task/TID/syscall starts with its number). */
function threadsInFlock(pid: number): number[] {
  const nr = FLOCK_SYSCALL[process.arch] as string;
  const found: number[] = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      if (fs.readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'latin1').split(' ')[0] === nr) found.push(Number(tid));
    } catch { /* the thread ended meanwhile */ }
  }
  return found;
}

/**
 * Whether this addon can give a flock() on the calling thread a deadline
 * (Linux; not macOS, nor the FL_PORTABLE_PATHS build that stands in for it,
 * where a finite acquireSync waits on a waiter thread instead).
 */
function deadlinesHere(dir: string): boolean {
  const fd = fs.openSync(path.join(dir, 'probe.lock'), 'w');
  try {
    native.flockHere(fd, native.constants.LOCK_SH, 1000, '');
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).syscall === 'timer_create') return false;
    throw err;
  } finally {
    fs.closeSync(fd);
  }
}

describe('acquireSync waits in flock() on the calling thread', () => {
  const t = sandbox();
  let lockFile: string;
  let holder: Locker;

  beforeEach(async function () {
    if (process.platform !== 'linux' || FLOCK_SYSCALL[process.arch] === undefined) this.skip();
    lockFile = t.file('sync.lock');
    holder = Locker.start(t, lockFile);
    await holder.send('acquire exclusive');
  });

  for (const timeout of [10_000, Infinity]) {
    it(`with timeout ${timeout} the blocked thread is the process's own main thread, not a waiter thread (one wake-up per hand-off)`, async function () {
      if (Number.isFinite(timeout) && !deadlinesHere(t.dir)) this.skip();
      const code = `
        const { FileLock } = require(${JSON.stringify(LIB)});
        process.stdout.write('trying\\n');
        const h = new FileLock(${JSON.stringify(lockFile)}).acquireSync('exclusive', { timeout: ${timeout} });
        process.stdout.write('got ' + h.held + '\\n');
        h.release();`;
      const child = t.spawn(process.execPath, ['-e', code]);
      await waitForLine(child, /^trying$/);
      let blocked: number[] = [];
      for (let i = 0; i < 500 && blocked.length === 0; i++) {
        blocked = threadsInFlock(child.pid as number);
        if (blocked.length === 0) await sleep(10);
      }
      assert.deepEqual(blocked, [child.pid], 'exactly one thread sleeps in flock(), and it is the main thread');
      const got = waitForLine(child, /^got /);
      await holder.send('release');
      assert.equal(await got, 'got true');
    });
  }

  it('a deadline a millisecond or two away is never missed: 200 timed-out waits in a row each end with ELOCKTIMEOUT', () => {
    // A deadline signal that lands before flock() is entered must not be
    // lost (the timer repeats): a lost one would block here for good.
    const lock = new FileLock(lockFile);
    for (let i = 0; i < 200; i++) {
      assert.throws(() => lock.acquireSync('exclusive', { timeout: 1 + (i % 3) }), (err: unknown) =>
        err instanceof LockError && err.code === 'ELOCKTIMEOUT');
    }
  });

  it('the deadline interrupts the flock() of the thread that waits: a worker times out while the main thread goes on', async () => {
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads');
      const { FileLock } = require(${JSON.stringify(LIB)});
      try {
        new FileLock(${JSON.stringify(lockFile)}).acquireSync('exclusive', { timeout: 300 });
        parentPort.postMessage({ code: 'granted' });
      } catch (err) {
        parentPort.postMessage({ code: err.code, waitedMs: err.waitedMs });
      }`, { eval: true });
    try {
      const ticks: number[] = [];
      const ticker = setInterval(() => ticks.push(performance.now()), 20);
      const [answer] = await new Promise<[{ code: string; waitedMs: number }]>((resolve, reject) => {
        worker.once('message', (m) => resolve([m]));
        worker.once('error', reject);
      });
      clearInterval(ticker);
      assert.equal(answer.code, 'ELOCKTIMEOUT');
      assert.ok(answer.waitedMs >= 290 && answer.waitedMs < 10_000, `waitedMs ${answer.waitedMs}`);
      assert.ok(ticks.length >= 3, `the main thread's timers ran meanwhile (${ticks.length} ticks)`);
    } finally {
      await worker.terminate();
    }
  });

  it('a timed-out wait leaves the lock file usable: the next acquireSync after the holder leaves is granted at once', async () => {
    const lock = new FileLock(lockFile);
    assert.throws(() => lock.acquireSync('exclusive', { timeout: 50 }), { code: 'ELOCKTIMEOUT' });
    await holder.send('release');
    const h = lock.acquireSync('exclusive', { timeout: 1000 });
    assert.equal(h.held, true);
    h.release();
  });
});
