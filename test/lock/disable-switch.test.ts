import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { once } from 'node:events';
import { FileLock } from '../../lib';
import { sandbox, waitForLine } from '../helpers';

describe('the FILE_LOCKING_DISABLE=1 rollback switch', () => {
  const t = sandbox();

  it('takes no kernel lock and warns once per process', async () => {
    const lockFile = t.file('off.lock');
    const script = `
      const { FileLock } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'lib'))});
      const lock = new FileLock(${JSON.stringify(lockFile)});
      (async () => {
        const a = await lock.acquire('exclusive'); a.release();
        const b = lock.acquireSync('exclusive');
        console.log('holding');
        process.stdin.once('data', () => { b.release(); process.exit(0); });
      })();`;
    const child = t.spawn(process.execPath, ['-e', script], {
      env: { ...process.env, FILE_LOCKING_DISABLE: '1' }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => { stderr += d; });
    await waitForLine(child, /^holding/);
    const h = new FileLock(lockFile).tryAcquire('exclusive');
    assert.ok(h, 'with locking disabled, the child must not hold a kernel lock');
    h.release();
    child.stdin?.write('x');
    await once(child, 'exit');
    assert.equal(stderr.match(/FILE_LOCKING_DISABLE=1/g)?.length, 1, stderr);
    assert.match(stderr, /lose updates/);
  });
});
