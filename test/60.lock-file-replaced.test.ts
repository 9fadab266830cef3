import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { FileLock } from '../lib';
import { FIXTURES_JS, FIXTURES_SRC, PYTHON, hasPython, sandbox, sleep, waitForLine } from './helpers';

describe('a lock file deleted and recreated by a peer', () => {
  const t = sandbox();

  it('a waiter that wins the deleted inode notices and locks the new file instead', async () => {
    const lockFile = t.file('d.lock');
    const fd = fs.openSync(lockFile, 'a+');
    const { native } = await import('../lib/native');
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
