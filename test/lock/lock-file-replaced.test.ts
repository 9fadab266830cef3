import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { FileLock } from '../../lib';
import { FIXTURES_JS, FIXTURES_SRC, PYTHON, hasPython, sandbox, sleep, waitForLine } from '../helpers';

describe('a lock file deleted and recreated by a peer', () => {
  const t = sandbox();

  it('a waiter that wins the deleted inode notices and locks the new file instead', async () => {
    const lockFile = t.file('d.lock');
    const fd = fs.openSync(lockFile, 'a+');
    const { native } = await import('../../lib/native');
    native.flock(fd, native.constants.LOCK_EX);
    const lock = new FileLock(lockFile, { timeout: 5000 });
    const waiting = lock.acquire('exclusive');
    await sleep(50);
    // The peer's release: unlink, recreate and lock a new inode, then let go of the old one.
    fs.unlinkSync(lockFile);
    const fresh = fs.openSync(lockFile, 'a+');
    native.flock(fresh, native.constants.LOCK_EX);
    native.flock(fd, native.constants.LOCK_UN);
    let granted = false;
    void waiting.then(() => { granted = true; });
    await sleep(100);
    assert.equal(granted, false, 'granted on the deleted inode while the new one is held');
    native.flock(fresh, native.constants.LOCK_UN);
    const h = await waiting;
    assert.ok(native.sameFile(fd, lockFile) === false);
    h.release();
    fs.closeSync(fd);
    fs.closeSync(fresh);
  });

  for (const timeout of [Infinity, 5000]) {
    it(`a synchronous waiter (timeout ${timeout}) that wins the deleted inode locks the new file instead`, async function () {
      if (!hasPython()) this.skip();
      const lockFile = t.file(`s${timeout}.lock`);
      const lock = new FileLock(lockFile, { timeout });
      lock.acquireSync('exclusive').release(); // the registry now keeps this inode's descriptor idle
      // The peer holds the old inode, replaces the file, locks the new one, lets go of the old, then of the new.
      const peer = t.spawn(PYTHON, ['-c', [
        'import fcntl, os, sys, time',
        'p = sys.argv[1]',
        'old = os.open(p, os.O_RDWR)',
        'fcntl.flock(old, fcntl.LOCK_EX)',
        'print("held", flush=True)',
        'time.sleep(0.3)',
        'os.unlink(p)',
        'new = os.open(p, os.O_RDWR | os.O_CREAT)',
        'fcntl.flock(new, fcntl.LOCK_EX)',
        'fcntl.flock(old, fcntl.LOCK_UN)',
        'time.sleep(0.3)',
        'fcntl.flock(new, fcntl.LOCK_UN)',
        'print("released", flush=True)',
        'time.sleep(30)',
      ].join('\n'), lockFile]);
      await waitForLine(peer, /^held/, 10_000);
      const h = lock.acquireSync('exclusive');
      try {
        await waitForLine(peer, /^released/, 10_000);
        // Held on the file the path names now: another open file description cannot lock it.
        const { native } = await import('../../lib/native');
        const probe = fs.openSync(lockFile, 'r');
        try {
          assert.equal(native.flock(probe, native.constants.LOCK_EX | native.constants.LOCK_NB), false,
            'the lock is held on the new lock file, not on the deleted one');
        } finally {
          fs.closeSync(probe);
        }
      } finally {
        h.release();
        peer.kill();
      }
    });
  }

  it('Node lockers and Python peers that unlink on release are never two holders at once', async function () {
    if (!hasPython()) this.skip();
    const lockFile = t.file('churn.lock');
    const sentinel = t.file('inside');
    const procs = [
      t.spawn(PYTHON, [path.join(FIXTURES_SRC, 'py_deleter.py'), lockFile, sentinel, '300']),
      t.spawn(PYTHON, [path.join(FIXTURES_SRC, 'py_deleter.py'), lockFile, sentinel, '300']),
      t.spawn(process.execPath, [path.join(FIXTURES_JS, 'exclusive_loop.js'), lockFile, sentinel, '300']),
      t.spawn(process.execPath, [path.join(FIXTURES_JS, 'exclusive_loop.js'), lockFile, sentinel, '300', 'sync']),
    ];
    const lines = await Promise.all(procs.map((p) => waitForLine(p, /^done/, 120_000)));
    await Promise.all(procs.map((p) => (p.exitCode === null ? once(p, 'exit') : undefined)));
    for (const line of lines) assert.match(line, /violations 0$/, lines.join('; '));
  });
});
