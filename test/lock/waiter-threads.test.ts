import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { FileLock } from '../../lib';
import { Locker, sandbox, sleep } from '../helpers';

const threads = (): number => fs.readdirSync('/proc/self/task').length;

describe('kernel waiter threads', () => {
  const t = sandbox();

  it('a won wait leaves its thread parked, the next wait reuses it, and it ends after half a second idle', async function () {
    if (process.platform !== 'linux') this.skip();
    const file = t.file('parked.lock');
    const holder = Locker.start(t, file);
    const lock = new FileLock(file);
    // Any lazily started thread of Node's own (the libuv pool) belongs to the baseline.
    await fsp.readFile(__filename);
    await holder.send('acquire exclusive');
    // Threads parked by earlier waits in this process end within half a
    // second; the baseline is taken once the count has held still that long.
    let before = threads();
    for (let still = 0; still < 700; still += 50) {
      await sleep(50);
      if (threads() !== before) [before, still] = [threads(), 0];
    }

    const first = lock.acquire('exclusive');
    assert.equal(threads(), before + 1, 'a blocked wait runs on a thread of its own');
    await holder.send('release');
    (await first).release();
    // A thread that exited right after reporting would be gone by now; a
    // parked one is not, so the next hand-off does not pay for its exit.
    assert.equal(threads(), before + 1, 'the thread of the won wait is parked, not ended');

    await holder.send('acquire exclusive');
    const second = lock.acquire('exclusive');
    assert.equal(threads(), before + 1, 'the second wait runs on the parked thread');
    await holder.send('release');
    (await second).release();

    for (let i = 0; i < 100 && threads() > before; i++) await sleep(20);
    assert.equal(threads(), before, 'the parked thread ends once idle');
    await holder.send('exit').catch(() => undefined);
  });
});
