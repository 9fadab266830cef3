// Issue #14, first paragraph: the attacks on the lock layer that must keep
// failing: a crowd of waiters, descriptor exhaustion, timeouts and aborts
// raced against a peer toggling the lock, a worker terminated while holding.
// No timing is asserted, only that each thing happens.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { FileLock, LockError, closeIdleLockFiles } from '../../lib';
import { FIXTURES_SRC, Locker, PYTHON, ROOT, hasPython, sandbox, sleep, waitForLine } from '../helpers';

const count = (dir: string): number => fs.readdirSync(dir).length;
const LIB = path.join(ROOT, 'dist', 'lib');

/** Polls `fn` until it holds, for at most `ms` (a bound on how long a test may take, not a speed claim). */
async function eventually(fn: () => boolean, ms = 20_000): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(20)) if (fn()) return true;
  return fn();
}

describe('the lock layer against hostile neighbours', function () {
  this.timeout(120_000);
  const t = sandbox();
  afterEach(() => closeIdleLockFiles());

  it('2 000 waiters on one lock held by another process add a bounded number of threads (not one each), and a concurrent fs.promises.readFile finishes', async function () {
    if (process.platform !== 'linux') this.skip();
    const lockFile = t.file('crowd.lock');
    const holder = Locker.start(t, lockFile);
    assert.match(await holder.send('acquire exclusive'), /^ok/);
    await fsp.readFile(__filename); // the libuv pool is part of the baseline
    const threadsBefore = count('/proc/self/task');
    const lock = new FileLock(lockFile, { timeout: 60_000 });
    const order: number[] = [];
    const waiters = Array.from({ length: 2000 }, (_, i) => lock.acquire('exclusive').then((h) => {
      order.push(i);
      h.release();
    }));
    await sleep(200);
    const threadsDuring = count('/proc/self/task');
    // Reading a file needs a free threadpool thread: none may be stuck in flock.
    assert.equal((await fsp.readFile(lockFile)).length, 0);
    assert.ok(threadsDuring - threadsBefore <= 8, `2000 waiters started ${threadsDuring - threadsBefore} threads`);
    assert.match(await holder.send('release'), /^ok/);
    await Promise.all(waiters);
    assert.deepEqual(order, Array.from({ length: 2000 }, (_, i) => i), 'waiters were not served in FIFO order');
  });

  it('EMFILE: a lock that cannot open its file fails with a clear ELOCKFILE (cause EMFILE), and the process recovers once descriptors are free', () => {
    const lockFile = t.file('emfile.lock');
    const script = `
      const fs = require('node:fs');
      const { FileLock } = require(${JSON.stringify(LIB)});
      const fds = [];
      try { for (;;) fds.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      const out = {};
      try { new FileLock(${JSON.stringify(lockFile)}).acquireSync('exclusive').release(); out.first = 'ok'; }
      catch (e) { out.first = { name: e.name, code: e.code, cause: e.cause && e.cause.code, message: e.message, lockFile: e.lockFile }; }
      for (const fd of fds.splice(0, 10)) fs.closeSync(fd);
      try { new FileLock(${JSON.stringify(lockFile)}).acquireSync('exclusive').release(); out.after = 'ok'; }
      catch (e) { out.after = e.code; }
      console.log(JSON.stringify(out));`;
    const r = spawnSync('/bin/sh', ['-c', `ulimit -n 64 && exec "$0" -e "$1"`, process.execPath, script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.first.name, 'LockError', r.stdout);
    assert.equal(out.first.code, 'ELOCKFILE');
    assert.equal(out.first.cause, 'EMFILE');
    assert.equal(out.first.lockFile, lockFile);
    assert.match(out.first.message, /Cannot lock .*emfile\.lock.*EMFILE/);
    assert.equal(out.after, 'ok');
  });

  it('600 timeout and abort races against a Python peer toggling the lock every millisecond leave no lock held and no descriptor behind', async function () {
    if (!hasPython() || process.platform !== 'linux') this.skip();
    const lockFile = t.file('toggle.lock');
    closeIdleLockFiles();
    const fdsBefore = count('/proc/self/fd');
    const py = t.spawn(PYTHON, [path.join(FIXTURES_SRC, 'py_toggler.py'), lockFile]);
    await waitForLine(py, /^ready$/);
    const lock = new FileLock(lockFile);
    const outcomes = { granted: 0, timeout: 0, aborted: 0 };
    for (let i = 0; i < 600; i++) {
      const ac = new AbortController();
      const wait = i % 2 === 0
        ? lock.acquire('exclusive', { timeout: i % 3 })
        : lock.acquire(i % 4 === 1 ? 'shared' : 'exclusive', { signal: ac.signal, timeout: 10_000 });
      if (i % 2 === 1) setTimeout(() => ac.abort(new Error('given up')), i % 2);
      try {
        (await wait).release();
        outcomes.granted++;
      } catch (err) {
        assert.ok(err instanceof LockError, String(err));
        if (err.code === 'ABORT_ERR') outcomes.aborted++;
        else if (err.code === 'ELOCKTIMEOUT' || err.code === 'ELOCKED') outcomes.timeout++;
        else assert.fail(`unexpected ${err.code}: ${err.message}`);
      }
    }
    const exited = once(py, 'exit');
    py.stdin?.end();
    await exited;
    // Nothing held: another process gets the lock at once.
    const probe = spawnSync(PYTHON, ['-c', 'import fcntl,sys; f=open(sys.argv[1],"a"); fcntl.flock(f, fcntl.LOCK_EX|fcntl.LOCK_NB); print("free")', lockFile], { encoding: 'utf8' });
    assert.equal(probe.stdout.trim(), 'free', `the lock is still held: ${probe.stderr}`);
    // Waits given up on end once they win the lock; then their descriptors go.
    const settled = await eventually(() => {
      closeIdleLockFiles();
      return count('/proc/self/fd') === fdsBefore;
    });
    assert.ok(settled, `descriptors left: ${count('/proc/self/fd')} vs ${fdsBefore} before (${JSON.stringify(outcomes)})`);
    assert.equal(outcomes.granted + outcomes.timeout + outcomes.aborted, 600);
    assert.ok(outcomes.timeout + outcomes.aborted > 0, `no race was lost: ${JSON.stringify(outcomes)}`);
  });

  it('an idle lock file whose descriptor can no longer be closed (a dead FUSE mount says ENOTCONN) does not stop closeIdleLockFiles or the next lock', function () {
    if (process.platform !== 'linux') this.skip();
    const broken = t.file('broken.lock');
    const other = t.file('other.lock');
    new FileLock(broken).acquireSync('exclusive').release();
    new FileLock(other).acquireSync('exclusive').release();
    const fdOf = (file: string): number | undefined => fs.readdirSync('/proc/self/fd').map(Number)
      .find((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`) === file; } catch { return false; } });
    const fd = fdOf(broken);
    assert.ok(fd !== undefined, 'the idle lock file is not held open');
    // Close it behind the registry's back: its own close now fails (EBADF), as on a dead mount.
    fs.closeSync(fd);
    closeIdleLockFiles();
    assert.equal(fdOf(other), undefined, 'the other idle lock file was not closed');
    new FileLock(broken).acquireSync('exclusive').release();
  });

  it('a worker terminated while it holds a lock leaves it free for the main thread and for other processes', async () => {
    const lockFile = t.file('worker-held.lock');
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads');
      const { FileLock } = require(${JSON.stringify(LIB)});
      setInterval(() => {}, 1000); // stays alive, holding, until terminated
      new FileLock(${JSON.stringify(lockFile)}).acquire('exclusive').then((h) => { globalThis.held = h; parentPort.postMessage('held'); });`,
    { eval: true });
    await once(worker, 'message');
    const other = Locker.start(t, lockFile);
    assert.match(await other.send('try exclusive'), /false/, 'the worker does not hold the lock');
    await worker.terminate();
    const h = await new FileLock(lockFile).acquire('exclusive', { timeout: 20_000 });
    h.release();
    assert.match(await other.send('try exclusive'), /true/);
  });
});
