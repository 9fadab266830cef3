import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { native } from '../../lib/native';
import { RecordLock } from '../../lib';
import { sandbox } from '../helpers';

const { LOCK_EX, LOCK_SH, LOCK_NB, LOCK_UN, F_WRLCK } = native.constants;

describe('native layer', () => {
  const t = sandbox();

  it('flock with LOCK_NB answers false, not an exception, when another description holds it', () => {
    const a = fs.openSync(t.file('x.lock'), 'a+');
    const b = fs.openSync(t.file('x.lock'), 'a+');
    try {
      assert.equal(native.flock(a, LOCK_EX | LOCK_NB), true);
      assert.equal(native.flock(b, LOCK_EX | LOCK_NB), false);
      assert.equal(native.flock(b, LOCK_SH | LOCK_NB), false);
      native.flock(a, LOCK_UN);
      assert.equal(native.flock(b, LOCK_SH | LOCK_NB), true);
      assert.equal(native.flock(a, LOCK_SH | LOCK_NB), true, 'shared admits shared');
    } finally {
      fs.closeSync(a);
      fs.closeSync(b);
    }
  });

  it('throws Node-style errors: code is the errno name, with errno and syscall', () => {
    assert.throws(() => native.flock(987654, LOCK_EX), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'EBADF');
      assert.equal(err.errno, -9);
      assert.equal(err.syscall, 'flock');
      assert.match(err.message, /EBADF/);
      return true;
    });
  });

  it('sameFile and isLinked notice a lock file deleted and recreated under an open descriptor', () => {
    const p = t.file('y.lock');
    const fd = fs.openSync(p, 'a+');
    try {
      assert.equal(native.sameFile(fd, p), true);
      assert.equal(native.isLinked(fd), true);
      fs.unlinkSync(p);
      assert.equal(native.isLinked(fd), false);
      assert.equal(native.sameFile(fd, p), false);
      fs.writeFileSync(p, '');
      assert.equal(native.sameFile(fd, p), false);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('a kernel wait abandoned after a timeout unlocks and closes by itself once it wins', async () => {
    const p = t.file('w.lock');
    const holder = fs.openSync(p, 'a+');
    native.flock(holder, LOCK_EX);
    let report: unknown[] = [];
    const wait = native.startFlockWait(fs.openSync(p, 'a+'), LOCK_EX, p, (...args) => { report = args; });
    const started = performance.now();
    assert.equal(wait.waitFor(50), 'pending');
    assert.ok(performance.now() - started >= 49);
    wait.abandon();
    native.flock(holder, LOCK_UN);
    const probe = fs.openSync(p, 'a+');
    let free = false;
    for (let i = 0; i < 200 && !free; i++) {
      free = native.flock(probe, LOCK_EX | LOCK_NB);
      if (!free) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
    assert.equal(free, true, 'the abandoned waiter kept the lock');
    fs.closeSync(probe);
    fs.closeSync(holder);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(report, [null, true, false], 'its report must say it ended abandoned');
  });

  it('a kernel wait reports when the lock file it won was deleted meanwhile', () => {
    const p = t.file('m.lock');
    const holder = fs.openSync(p, 'a+');
    native.flock(holder, LOCK_EX);
    const fd = fs.openSync(p, 'a+');
    const wait = native.startFlockWait(fd, LOCK_EX, p, () => undefined);
    fs.unlinkSync(p);
    native.flock(holder, LOCK_UN);
    assert.equal(wait.waitFor(5000), 'moved');
    fs.closeSync(fd);
    fs.closeSync(holder);
  });

  it('a kernel wait is one token object; the addon\'s wait calls refuse anything else with a TypeError', () => {
    const raw = native as unknown as Record<'abandonWait' | 'resumeWait' | 'waitForWait', (...args: unknown[]) => unknown>;
    for (const bad of [{}, 42, null, undefined]) {
      assert.throws(() => raw.abandonWait(bad), TypeError);
      assert.throws(() => raw.resumeWait(bad), TypeError);
      assert.throws(() => raw.waitForWait(bad, 0), TypeError);
    }
  });

  describe('record locks (fcntl)', () => {
    it('OFD range locks conflict on overlapping ranges only, and F_GETLK reports the conflict', function () {
      // Built against an SDK without F_OFD_* (older macOS), record locks are classic POSIX ones.
      if (native.constants.F_OFD_SETLK === undefined) this.skip();
      const a = fs.openSync(t.file('r.dat'), 'a+');
      const b = fs.openSync(t.file('r.dat'), 'a+');
      try {
        const ra = new RecordLock(a);
        const rb = new RecordLock(b);
        assert.equal(ra.tryLock('exclusive', 0, 10), true);
        assert.equal(rb.tryLock('exclusive', 5, 10), false);
        assert.equal(rb.tryLock('exclusive', 10, 10), true);
        const info = rb.getLock('exclusive', 0, 5);
        assert.ok(info);
        assert.equal(info.mode, 'exclusive');
        assert.equal(info.start, 0);
        assert.equal(info.length, 10);
        assert.equal(info.pid, -1, 'OFD locks carry no pid');
        ra.unlock(0, 10);
        assert.equal(rb.getLock('exclusive', 0, 5), null);
      } finally {
        fs.closeSync(a);
        fs.closeSync(b);
      }
    });

    it('on Linux, record locks and flock locks on one file ignore each other', function () {
      if (process.platform !== 'linux') this.skip();
      const a = fs.openSync(t.file('m.lock'), 'a+');
      const b = fs.openSync(t.file('m.lock'), 'a+');
      try {
        assert.equal(native.flock(a, LOCK_EX | LOCK_NB), true);
        // Classic locks where the build has no OFD ones (macOS, FL_PORTABLE_PATHS).
        assert.equal(native.fcntlSetLock(b, native.constants.F_OFD_SETLK ?? native.constants.F_SETLK, F_WRLCK, 0, 0), true);
      } finally {
        fs.closeSync(a);
        fs.closeSync(b);
      }
    });

    it('an async record-lock wait is granted when the range is unlocked, and a timed-out one is given back', async function () {
      if (native.constants.F_OFD_SETLK === undefined) this.skip();
      const a = fs.openSync(t.file('q.dat'), 'a+');
      const b = fs.openSync(t.file('q.dat'), 'a+');
      try {
        const ra = new RecordLock(a);
        const rb = new RecordLock(b);
        ra.lockSync('exclusive', 0, 100);
        await assert.rejects(rb.lock('exclusive', 0, 100, { timeout: 30 }), { code: 'ELOCKTIMEOUT' });
        assert.throws(() => rb.lockSync('shared', 0, 100, { timeout: 0 }), { code: 'ELOCKED' });
        const waiting = rb.lock('exclusive', 50, 10);
        setTimeout(() => ra.unlock(0, 100), 30);
        await waiting;
        assert.equal(ra.tryLock('shared', 50, 10), false);
        assert.equal(ra.tryLock('shared', 0, 50), true, 'the abandoned wait released what it won');
      } finally {
        fs.closeSync(a);
        fs.closeSync(b);
      }
    });
  });
});
