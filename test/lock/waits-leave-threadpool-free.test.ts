import * as assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import { FileLock } from '../../lib';
import { Locker, sandbox } from '../helpers';

describe('waiting never occupies the libuv threadpool', () => {
  const t = sandbox();

  it('12 concurrent waits on 12 held lock files leave fs.promises.readFile working', async () => {
    // UV_THREADPOOL_SIZE is 4: a wait on the pool would starve readFile here.
    const holders: Locker[] = [];
    const waits: Promise<unknown>[] = [];
    const ac = new AbortController();
    setMaxListeners(20, ac.signal);
    for (let i = 0; i < 12; i++) {
      const lockFile = t.file(`f${i}.lock`);
      const h = Locker.start(t, lockFile);
      await h.send('acquire exclusive');
      holders.push(h);
      waits.push(new FileLock(lockFile).acquire('exclusive', { signal: ac.signal }).catch((e: unknown) => e));
    }
    await fsp.writeFile(t.file('plain.txt'), 'hello');
    const started = performance.now();
    const text = await Promise.race([
      fsp.readFile(t.file('plain.txt'), 'utf8'),
      new Promise<string>((resolve) => setTimeout(() => resolve('STALLED'), 5000)),
    ]);
    assert.equal(text, 'hello', `readFile stalled (${(performance.now() - started).toFixed(0)} ms)`);
    ac.abort();
    for (const w of await Promise.all(waits)) assert.equal((w as { code?: string }).code, 'ABORT_ERR');
  });
});
