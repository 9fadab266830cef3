import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { acquireAll, acquireAllSync, FileLock } from '../../lib';
import { sandbox, waitForLine } from '../helpers';

describe('several locks at once', () => {
  const t = sandbox();

  it('two processes locking {A, B} and {B, A} in a loop never deadlock', async () => {
    const a = t.file('a.lock');
    const b = t.file('b.lock');
    const script = (first: string, second: string): string => `
      const { acquireAll } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'lib'))});
      (async () => {
        for (let i = 0; i < 300; i++) {
          const set = await acquireAll([{ lockFile: ${JSON.stringify(first)}, mode: 'exclusive' },
                                        { lockFile: ${JSON.stringify(second)}, mode: 'exclusive' }], { timeout: 20000 });
          await new Promise((r) => setImmediate(r));
          set.release();
        }
        console.log('finished');
      })().catch((e) => { console.log('failed ' + e.code); process.exit(1); });`;
    const p1 = t.spawn(process.execPath, ['-e', script(a, b)]);
    const p2 = t.spawn(process.execPath, ['-e', script(b, a)]);
    assert.deepEqual(await Promise.all([waitForLine(p1, /finished|failed/, 60_000), waitForLine(p2, /finished|failed/, 60_000)]),
      ['finished', 'finished']);
  });

  it('releases in reverse order, and a failure releases what was already taken', async () => {
    const a = t.file('x.lock');
    const b = t.file('y.lock');
    const blocker = await new FileLock(b).acquire('exclusive');
    await assert.rejects(acquireAll([{ lockFile: a, mode: 'exclusive' }, { lockFile: b, mode: 'exclusive' }], { timeout: 50 }),
      { code: 'ELOCKTIMEOUT' });
    const h = new FileLock(a).tryAcquire('exclusive');
    assert.ok(h, 'the first lock was not given back after the second failed');
    h.release();
    blocker.release();
    const set = acquireAllSync([{ lockFile: a, mode: 'shared' }, { lockFile: b, mode: 'exclusive' }, { lockFile: a, mode: 'exclusive' }]);
    assert.equal(set.handles.length, 2, 'the same file twice is taken once');
    assert.ok(set.handles.every((x) => x.mode === 'exclusive'), 'in the stronger of the two modes');
    set.release();
    assert.ok(set.handles.every((x) => !x.held));
  });
});
