import * as assert from 'node:assert/strict';
import { FileLock } from '../../lib';
import { Locker, sandbox, sleep } from '../helpers';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('the timeout timer of a won wait', () => {
  const t = sandbox();

  /** Waits for the lock `holder` holds, which it releases after 50 ms. */
  async function winFrom(holder: Locker, lock: FileLock, timeout: number) {
    await holder.send('acquire exclusive');
    const pending = lock.acquire('exclusive', { timeout });
    await sleep(50);
    await holder.send('release');
    return pending;
  }

  it('is cleared by the release, and firing while the lock is held changes nothing', async () => {
    const file = t.file('timer.lock');
    const holder = Locker.start(t, file);
    const lock = new FileLock(file);

    const long = await winFrom(holder, lock, 5000);
    const held = timers();
    long.release();
    // No loop turn in between: only the release can have ended a timer.
    assert.equal(timers(), held - 1, 'the 5 s timer of the won wait ends with the release');

    const short = await winFrom(holder, lock, 100);
    await sleep(150); // its 100 ms timer fires while the lock is held
    assert.ok(short.held, 'a timeout that fires after the grant does not take the lock away');
    assert.equal(lock.tryAcquire('exclusive'), null, 'the lock is still held');
    assert.match(await holder.send('acquire exclusive 0'), /^err ELOCKED/, 'and still excludes the other process');
    short.release();
    assert.match(await holder.send('acquire exclusive 0'), /^ok acquired/, 'which can take it after the release');
    await holder.send('exit').catch(() => undefined);
  });
});
