import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { FileLock } from '../../lib';
import { FIXTURES_SRC, PYTHON, hasPython, sandbox, sleep, waitForLine } from '../helpers';

describe('interop with a Python peer using fcntl.flock on F.lock', function () {
  const t = sandbox();
  before(function () {
    if (!hasPython()) {
      console.log(`      skipped: ${PYTHON} not found`);
      this.skip();
    }
  });

  function python(lockFile: string) {
    const child = t.spawn(PYTHON, [path.join(FIXTURES_SRC, 'py_locker.py'), lockFile]);
    return {
      child,
      send(cmd: string): Promise<string> {
        const reply = waitForLine(child, /^ok\b/);
        child.stdin?.write(cmd + '\n');
        return reply;
      },
    };
  }

  it('a Python exclusive holder excludes Node, and Node gets the lock once Python releases', async () => {
    const lockFile = t.file('queue.yaml.lock');
    const py = python(lockFile);
    await py.send('acquire exclusive');
    const lock = new FileLock(lockFile);
    assert.equal(lock.tryAcquire('exclusive'), null);
    assert.equal(lock.tryAcquire('shared'), null);
    await assert.rejects(lock.acquire('shared', { timeout: 0 }), { code: 'ELOCKED' });
    const waiting = lock.acquire('exclusive', { timeout: 10_000 });
    await sleep(50);
    await py.send('release');
    (await waiting).release();
  });

  it('a Node exclusive holder excludes Python, shared admits Python shared, and a blocked Python waiter gets it on release', async () => {
    const lockFile = t.file('state.yaml.lock');
    const py = python(lockFile);
    const lock = new FileLock(lockFile);
    const h = await lock.acquire('exclusive');
    assert.equal(await py.send('try exclusive'), 'ok try false');
    assert.equal(await py.send('try shared'), 'ok try false');
    h.release();
    const s = await lock.acquire('shared');
    assert.equal(await py.send('try shared'), 'ok try true');
    assert.equal(await py.send('try exclusive'), 'ok try false');
    s.release();
    const h2 = await lock.acquire('exclusive');
    const granted = waitForLine(py.child, /^ok acquired/);
    py.child.stdin?.write('acquire exclusive\n');
    await sleep(100);
    h2.release();
    await granted;
    assert.equal(lock.tryAcquire('shared'), null, 'Python holds it now');
  });
});
