import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { FileLock, LockError } from '../../lib';
import { Locker, sandbox, sleep } from '../helpers';

async function incrementUnderLock(lock: FileLock, counter: string): Promise<void> {
  await lock.acquireExclusive(async () => {
    const value = Number(fs.readFileSync(counter).toString());
    // Yield inside the critical section so that a broken lock would interleave.
    await sleep(Math.random() * 2);
    fs.writeFileSync(counter, String(value + 1));
  });
}

describe('FileLock inside one process', () => {
  const t = sandbox();

  it('50 async tasks over 5 FileLock instances on one file lose no counter update', async () => {
    const counter = t.file('counter');
    fs.writeFileSync(counter, '0');
    const locks = Array.from({ length: 5 }, () => new FileLock(t.file('counter.lock')));
    await Promise.all(Array.from({ length: 50 }, (_, i) => incrementUnderLock(locks[i % 5], counter)));
    assert.equal(fs.readFileSync(counter).toString(), '50');
  });

  it('50 async tasks on one FileLock instance lose no counter update', async () => {
    const counter = t.file('counter');
    fs.writeFileSync(counter, '0');
    const lock = new FileLock(t.file('counter.lock'));
    await Promise.all(Array.from({ length: 50 }, () => incrementUnderLock(lock, counter)));
    assert.equal(fs.readFileSync(counter).toString(), '50');
  });

  it('two spellings of one lock file share one in-process lock', async () => {
    fs.mkdirSync(t.file('sub'));
    const a = new FileLock(t.file('x.lock'));
    fs.symlinkSync(t.file('x.lock'), t.file('sub/link.lock'));
    const h = await a.acquire('exclusive');
    // Opening the same file again would self-conflict in the kernel; the registry must queue instead.
    assert.equal(new FileLock(t.file('sub/../x.lock')).tryAcquire('exclusive'), null);
    assert.equal(new FileLock(t.file('sub/link.lock')).tryAcquire('exclusive'), null);
    h.release();
    const h2 = new FileLock(t.file('sub/link.lock')).tryAcquire('exclusive');
    assert.ok(h2);
    h2.release();
  });

  it('waiters are served in FIFO order, and consecutive shared waiters share', async () => {
    const lock = new FileLock(t.file('fifo.lock'));
    const first = await lock.acquire('exclusive');
    const order: string[] = [];
    const w = ['exclusive', 'shared', 'shared', 'exclusive'].map((mode, i) =>
      lock.acquire(mode as 'shared' | 'exclusive').then((h) => { order.push(`${i}:${mode}`); return h; }));
    await sleep(20);
    first.release();
    const h0 = await w[0];
    await sleep(10);
    assert.deepEqual(order, ['0:exclusive']);
    h0.release();
    const [h1, h2] = await Promise.all([w[1], w[2]]);
    await sleep(10);
    assert.deepEqual(order, ['0:exclusive', '1:shared', '2:shared'], 'the exclusive waiter must wait for both readers');
    h1.release();
    h2.release();
    (await w[3]).release();
    assert.deepEqual(order, ['0:exclusive', '1:shared', '2:shared', '3:exclusive']);
  });

  it('shared holders in one process share one kernel lock, which another process sees as shared', async () => {
    const lockFile = t.file('sh.lock');
    const lock = new FileLock(lockFile);
    const a = await lock.acquire('shared');
    const b = await new FileLock(lockFile).acquire('shared', { timeout: 0 });
    const peer = Locker.start(t, lockFile);
    assert.equal(await peer.send('try shared'), 'ok try true');
    assert.equal(await peer.send('try exclusive'), 'ok try false');
    a.release();
    assert.equal(await peer.send('try exclusive'), 'ok try false', 'one shared holder remains');
    b.release();
    assert.equal(await peer.send('try exclusive'), 'ok try true');
  });

  it('an error thrown by the body propagates as the same object, EIO included, and the lock is free after', async () => {
    const lock = new FileLock(t.file('e.lock'));
    const eio = Object.assign(new Error('disk went away'), { code: 'EIO', errno: -5 });
    let calls = 0;
    const err = await lock.acquireExclusive(() => { calls++; throw eio; }).then(() => null, (e: unknown) => e);
    assert.equal(err, eio);
    assert.equal(calls, 1, 'the plan swallows OSError and retries; we must not');
    const sync = (() => { try { lock.acquireSharedSync(() => { throw eio; }); } catch (e) { return e; } return null; })();
    assert.equal(sync, eio);
    const h = lock.tryAcquire('exclusive');
    assert.ok(h, 'lock still held after the body threw');
    h.release();
  });

  it('the body result is returned, and an async body holds the lock until it settles', async () => {
    const lock = new FileLock(t.file('r.lock'));
    const value = await lock.acquireShared(async () => { await sleep(5); return 42; });
    assert.equal(value, 42);
    assert.equal(lock.acquireExclusiveSync(() => 'sync'), 'sync');
  });

  it('a sync acquire of a lock this process holds fails at once with ELOCKHELD instead of hanging', async () => {
    const lock = new FileLock(t.file('held.lock'), { timeout: 60_000 });
    const h = await lock.acquire('exclusive');
    const started = performance.now();
    assert.throws(() => lock.acquireSync('shared'), (e: unknown) => e instanceof LockError && e.code === 'ELOCKHELD');
    assert.throws(() => lock.acquireExclusiveSync(() => 1), { code: 'ELOCKHELD' });
    assert.ok(performance.now() - started < 1000);
    h.release();
  });

  it('a second acquire() while this process holds a handle from acquire() times out naming this process (handles are not tracked by call chain)', async () => {
    // Inside an acquireExclusive body the same request fails at once with
    // ELOCKHELD (test/lock/held-by-own-chain.test.ts); a bare handle has no body.
    const lock = new FileLock(t.file('nest.lock'), { timeout: 100 });
    const outer = await lock.acquire('exclusive');
    try {
      const err = await lock.acquire('exclusive').then(() => null, (e: unknown) => e);
      assert.ok(err instanceof LockError);
      assert.equal(err.code, 'ELOCKTIMEOUT');
      if (process.platform === 'linux') assert.match(err.message, /this process/);
    } finally {
      outer.release();
    }
  });

  it('handles release once: a second release is a no-op and `using` releases at scope end', async () => {
    const lock = new FileLock(t.file('u.lock'));
    {
      await using h = await lock.acquire('exclusive');
      assert.equal(h.held, true);
      assert.equal(lock.tryAcquire('exclusive'), null);
    }
    const h = lock.tryAcquire('exclusive');
    assert.ok(h);
    h.release();
    h.release();
    assert.equal(h.held, false);
    const h2 = lock.tryAcquire('exclusive');
    assert.ok(h2, 'double release must not break the next holder');
    h2.release();
  });

  it('the poll strategy waits like the plan, by retrying, and still respects the timeout', async () => {
    const lockFile = t.file('p.lock');
    const holder = Locker.start(t, lockFile);
    await holder.send('acquire exclusive');
    const lock = new FileLock(lockFile, { waitStrategy: 'poll', pollInterval: 20 });
    await assert.rejects(lock.acquire('exclusive', { timeout: 100 }), { code: 'ELOCKTIMEOUT' });
    const pending = lock.acquire('exclusive', { timeout: 5000 });
    await sleep(30);
    await holder.send('release');
    (await pending).release();
    assert.throws(() => new FileLock(lockFile, { waitStrategy: 'spin' as never }), /"kernel" or "poll"/);
  });
});
