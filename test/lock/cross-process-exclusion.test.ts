import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { FileLock } from '../../lib';
import { Locker, sandbox, sleep } from '../helpers';

describe('FileLock across processes', () => {
  const t = sandbox();

  it('an exclusive holder excludes another process, exclusive and shared alike', async () => {
    const lockFile = t.file('data.yaml.lock');
    const holder = Locker.start(t, lockFile);
    assert.match(await holder.send('acquire exclusive'), /^ok acquired/);
    const lock = new FileLock(lockFile);
    assert.equal(lock.tryAcquire('exclusive'), null);
    assert.equal(lock.tryAcquire('shared'), null);
    await holder.send('release');
    const h = lock.tryAcquire('exclusive');
    assert.ok(h);
    h.release();
  });

  it('shared holders in different processes admit each other', async () => {
    const lockFile = t.file('s.lock');
    const a = Locker.start(t, lockFile);
    const b = Locker.start(t, lockFile);
    assert.match(await a.send('acquire shared'), /^ok acquired/);
    assert.match(await b.send('acquire shared 0'), /^ok acquired/);
    const h = new FileLock(lockFile).tryAcquire('shared');
    assert.ok(h);
    h.release();
  });

  it('an exclusive waiter waits until every shared holder has released', async () => {
    const lockFile = t.file('w.lock');
    const a = Locker.start(t, lockFile);
    const b = Locker.start(t, lockFile);
    await a.send('acquire shared');
    await b.send('acquire shared');
    let granted = false;
    const waiting = new FileLock(lockFile).acquire('exclusive').then((h) => { granted = true; return h; });
    await a.send('release');
    await sleep(100);
    assert.equal(granted, false, 'granted while one shared holder remained');
    await b.send('release');
    (await waiting).release();
    assert.equal(granted, true);
  });

  it('kill -9 of the holder frees the lock for a waiter at once', async () => {
    const lockFile = t.file('k.lock');
    const holder = Locker.start(t, lockFile);
    await holder.send('acquire exclusive');
    const waiting = new FileLock(lockFile).acquire('exclusive', { timeout: 10_000 });
    await sleep(50);
    const killedAt = performance.now();
    holder.child.kill('SIGKILL');
    const h = await waiting;
    const afterKill = performance.now() - killedAt;
    h.release();
    if (holder.child.exitCode === null && holder.child.signalCode === null) await once(holder.child, 'exit');
    // Generous bound: the point is "no stale-lock timeout", which would be seconds.
    assert.ok(afterKill < 1000, `granted ${afterKill.toFixed(1)} ms after the kill`);
  });

  it('a sync acquire with timeout Infinity blocks until another process releases', async () => {
    const lockFile = t.file('inf.lock');
    const lock = new FileLock(lockFile);
    const h = await lock.acquire('exclusive');
    const waiter = Locker.start(t, lockFile);
    assert.equal(await waiter.send('try exclusive'), 'ok try false');
    const reply = waiter.post('sync exclusive Infinity');
    await sleep(150);
    h.release();
    const [, , waited] = (await reply).split(' ');
    assert.ok(Number(waited) >= 100, `granted after ${waited} ms, before the release`);
  });

  it('a waiting process is granted the lock when a Node holder in another process releases', async () => {
    const lockFile = t.file('h.lock');
    const lock = new FileLock(lockFile);
    const h = await lock.acquire('exclusive');
    const waiter = Locker.start(t, lockFile);
    const reply = waiter.post('acquire exclusive 10000');
    await sleep(100);
    h.release();
    assert.match(await reply, /^ok acquired/);
  });
});
