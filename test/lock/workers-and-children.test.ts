import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { FileLock } from '../../lib';
import { Locker, sandbox } from '../helpers';

describe('worker_threads and child processes', () => {
  const t = sandbox();

  it('the addon loads in a worker, and a lock held by the main thread blocks the worker\'s tryAcquire', async () => {
    const lockFile = t.file('w.lock');
    const h = await new FileLock(lockFile).acquire('exclusive');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { FileLock } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'lib'))});
      const lock = new FileLock(workerData.lockFile);
      const busy = lock.tryAcquire('exclusive');
      parentPort.postMessage({ busyGot: busy !== null });
      parentPort.once('message', async () => {
        const h = await lock.acquire('exclusive', { timeout: 5000 });
        h.release();
        parentPort.postMessage({ later: true });
      });`;
    const worker = new Worker(code, { eval: true, workerData: { lockFile } });
    try {
      const [first] = await once(worker, 'message');
      assert.deepEqual(first, { busyGot: false });
      worker.postMessage('go');
      h.release();
      const [second] = await once(worker, 'message');
      assert.deepEqual(second, { later: true });
    } finally {
      await worker.terminate();
    }
  });

  it('a worker terminated while it waits leaves no lock behind once the holder releases', async () => {
    const lockFile = t.file('wt.lock');
    const holder = Locker.start(t, lockFile);
    await holder.send('acquire exclusive');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { FileLock } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'lib'))});
      new FileLock(workerData.lockFile).acquire('exclusive', { timeout: Infinity });
      parentPort.postMessage('waiting');`;
    const worker = new Worker(code, { eval: true, workerData: { lockFile } });
    await once(worker, 'message');
    await worker.terminate();
    await holder.send('release');
    // The worker's kernel waiter wins after its environment is gone and must let go by itself.
    const h = await new FileLock(lockFile).acquire('exclusive', { timeout: 5000 });
    h.release();
  });

  it('a child process spawned while a lock is held does not inherit it', async function () {
    if (process.platform !== 'linux') this.skip();
    const lockFile = t.file('c.lock');
    const h = await new FileLock(lockFile).acquire('exclusive');
    const child = t.spawn('sleep', ['30']);
    await once(child, 'spawn');
    const fds = fs.readdirSync(`/proc/${child.pid}/fd`).map((fd) => {
      try { return fs.readlinkSync(`/proc/${child.pid}/fd/${fd}`); } catch { return ''; }
    });
    assert.ok(!fds.includes(lockFile), 'the child has the lock file open');
    h.release();
    const other = Locker.start(t, lockFile);
    assert.equal(await other.send('try exclusive'), 'ok try true', 'the lock outlived its release in the child');
  });
});
