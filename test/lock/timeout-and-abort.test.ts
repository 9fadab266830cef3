import * as assert from 'node:assert/strict';
import { FileLock, LockError } from '../../lib';
import { Locker, sandbox } from '../helpers';

describe('FileLock timeouts and aborts', () => {
  const t = sandbox();
  let lockFile: string;
  let holder: Locker;

  beforeEach(async () => {
    lockFile = t.file('busy.lock');
    holder = Locker.start(t, lockFile);
    await holder.send('acquire exclusive');
  });

  it('a timeout rejects with ELOCKTIMEOUT, naming the lock, the mode and the wait, with the holder pid in err.holders', async () => {
    const lock = new FileLock(lockFile, { timeout: 150 });
    const err = await lock.acquire('exclusive').then(() => null, (e: unknown) => e);
    assert.ok(err instanceof LockError);
    assert.equal(err.code, 'ELOCKTIMEOUT');
    assert.equal(err.lockFile, lockFile);
    assert.equal(err.mode, 'exclusive');
    assert.ok(err.waitedMs >= 140 && err.waitedMs < 5000, `waitedMs ${err.waitedMs}`);
    if (process.platform === 'linux') {
      assert.ok(err.holders.some((h) => h.pid === holder.child.pid && !h.waiting), JSON.stringify(err.holders));
      assert.match(err.message, /another process holds it/);
    }
  });

  it('timeout 0 rejects with ELOCKED without waiting', async () => {
    const lock = new FileLock(lockFile, { timeout: 0 });
    const started = performance.now();
    await assert.rejects(lock.acquire('shared'), { name: 'LockError', code: 'ELOCKED' });
    assert.throws(() => lock.acquireSync('exclusive'), { code: 'ELOCKED' });
    assert.ok(performance.now() - started < 1000);
  });

  it('the sync API times out with ELOCKTIMEOUT too', () => {
    const lock = new FileLock(lockFile, { timeout: 100 });
    assert.throws(() => lock.acquireExclusiveSync(() => assert.fail('ran without the lock')), { code: 'ELOCKTIMEOUT' });
  });

  it('an AbortSignal rejects the wait promptly with ABORT_ERR and the signal reason as cause', async () => {
    const lock = new FileLock(lockFile, { timeout: Infinity });
    const ac = new AbortController();
    const reason = new Error('agent shutting down');
    const pending = lock.acquire('exclusive', { signal: ac.signal });
    setTimeout(() => ac.abort(reason), 50);
    const started = performance.now();
    const err = await pending.then(() => null, (e: unknown) => e);
    assert.ok(err instanceof LockError);
    assert.equal(err.code, 'ABORT_ERR');
    assert.equal(err.cause, reason);
    assert.ok(performance.now() - started < 1000);
  });

  it('an already aborted signal rejects before trying', async () => {
    const lock = new FileLock(t.file('free.lock'));
    await assert.rejects(lock.acquire('exclusive', { signal: AbortSignal.abort('no') }), { code: 'ABORT_ERR', cause: 'no' });
  });

  it('a wait given up on does not take the lock later: the holder releases and the lock is free', async () => {
    const lock = new FileLock(lockFile);
    await assert.rejects(lock.acquire('exclusive', { timeout: 50 }), { code: 'ELOCKTIMEOUT' });
    await holder.send('release');
    // The kernel waiter left behind wins and must let go by itself.
    const other = Locker.start(t, lockFile);
    assert.match(await other.send('acquire exclusive 5000'), /^ok acquired/);
  });

  it('rejects bad timeouts and modes with a message that says what to pass', async () => {
    assert.throws(() => new FileLock(lockFile, { timeout: -1 }), { name: 'RangeError', code: 'EINVALIDOPTION', message: /timeout must be/ });
    assert.throws(() => new FileLock(lockFile, { timout: 5 } as never), { code: 'EUNKNOWNOPTION', message: /unknown option "timout".*Did you mean "timeout"/ });
    await assert.rejects(new FileLock(lockFile).acquire('write' as never), { code: 'EINVALIDARG', message: /"shared" or "exclusive"/ });
    assert.throws(() => new FileLock(''), { name: 'FileLockingError', code: 'EINVALIDPATH', message: /the path is empty/ });
  });
});
