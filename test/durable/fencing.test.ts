// Fencing tokens on local disk: the counter under the lock, and the fenced
// ReadModifyWrite / AtomicFileWriter refusing a holder whose lock was taken over.
// (On a local disk the kernel never takes a lock away; a stale holder is
// simulated by a second holder bumping the token. test/multi-host/partition.test.ts does it for real.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {
  acquireFenced, acquireFencedSync, checkFence, readFence, fenceFileOf, AtomicFileWriter, ReadModifyWrite, FileLock, FileLockingError,
} from '../../lib';
import { sandbox, sleep } from '../helpers';

const temps = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
const fenced = (code = 'EFENCED') => (err: unknown): boolean => err instanceof FileLockingError && err.code === code;

/** Simulates "another host took the lock since": publishes a newer token, as its acquisition would. */
function takeOver(lockFile: string): void {
  const fence = fenceFileOf(lockFile);
  fs.writeFileSync(`${fence}.x`, `${readFence(fence) + 1n}\n`);
  fs.renameSync(`${fence}.x`, fence);
}

describe('fencing tokens', () => {
  const t = sandbox();

  it('bumps the token on every fenced exclusive acquisition, published by rename beside the lock file', async () => {
    const lock = t.file('a.lock');
    assert.equal(readFence(fenceFileOf(lock)), 0n);
    const tokens: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const h = await acquireFenced(lock);
      tokens.push(h.token);
      assert.equal(h.held, true);
      checkFence(h);
      h.release();
    }
    const s = acquireFencedSync(new FileLock(lock));
    tokens.push(s.token);
    s.release();
    // An open descriptor keeps the old inode: written in place, it would change too.
    const old = fs.openSync(fenceFileOf(lock), 'r');
    await new AtomicFileWriter(t.file('a'), lock, { fenced: true }).write('x\n');
    await new ReadModifyWrite(t.file('a'), lock, { fenced: true }).execute(() => 'y');
    new ReadModifyWrite(t.file('a'), lock, { fenced: true }).executeSync(() => 'z');
    assert.deepEqual(tokens, [1n, 2n, 3n, 4n]);
    assert.equal(fs.readFileSync(fenceFileOf(lock), 'latin1'), '7\n');
    try {
      assert.equal(fs.readFileSync(old, 'latin1'), '4\n', 'the fence file is replaced, never written in place');
    } finally {
      fs.closeSync(old);
    }
    // Unfenced writers do not touch it.
    await new AtomicFileWriter(t.file('a'), lock).write('w\n');
    assert.equal(readFence(fenceFileOf(lock)), 7n);
    assert.deepEqual(temps(t.dir), []);
  });

  it('refuses a stale holder\'s ReadModifyWrite and AtomicFileWriter writes with EFENCED: file intact, no temp file', async () => {
    const data = t.file('s.yaml');
    const lock = `${data}.lock`;
    fs.writeFileSync(data, 'writer: first\n');
    const h = await acquireFenced(lock);
    takeOver(lock);
    assert.throws(() => checkFence(h), (err: FileLockingError) => {
      assert.equal(err.code, 'EFENCED');
      assert.match(err.message, /another holder took the lock/);
      assert.ok(err.message.includes(lock));
      return true;
    });
    await assert.rejects(new ReadModifyWrite(data).execute(() => ({ writer: 'stale' }), undefined, undefined, { fence: h }),
      (err: FileLockingError) => fenced()(err) && err.path === data && err.message.includes(data));
    await assert.rejects(new AtomicFileWriter(data).write('writer: stale\n', { fence: h }), fenced());
    assert.equal(fs.readFileSync(data, 'latin1'), 'writer: first\n');
    assert.deepEqual(temps(t.dir), []);
    h.release();
    assert.throws(() => checkFence(h), (err: Error) => fenced()(err) && /was released/.test(err.message));
  });

  it('a fenced writer whose lock is taken over while it works is refused right before its rename', async () => {
    const data = t.file('w.yaml');
    fs.writeFileSync(data, 'n: 1\n');
    const rmw = new ReadModifyWrite<{ n: number }>(data, undefined, { fenced: true });
    await assert.rejects(rmw.execute((d) => { takeOver(`${data}.lock`); return { n: d.n + 1 }; }), fenced());
    await assert.rejects(new AtomicFileWriter(data, undefined, { fenced: true })
      .write(async (out) => { await out.write('n: 99\n'); takeOver(`${data}.lock`); }), fenced());
    assert.equal(fs.readFileSync(data, 'latin1'), 'n: 1\n');
    assert.deepEqual(temps(t.dir), []);
    // The lock was released: a normal update goes through.
    assert.deepEqual(await rmw.execute((d) => ({ n: d.n + 1 })), { n: 2 });
  });

  it('maxHoldMs bounds how long a holder may act: after it, checkFence and fenced writes refuse', async () => {
    const data = t.file('d.yaml');
    fs.writeFileSync(data, 'a: 1\n');
    const h = await acquireFenced(`${data}.lock`, { maxHoldMs: 150 });
    checkFence(h);
    await new AtomicFileWriter(data).write('a: 2\n', { fence: h });
    await sleep(200);
    assert.throws(() => checkFence(h), (err: Error) => fenced()(err) && /maxHoldMs/.test(err.message));
    await assert.rejects(new AtomicFileWriter(data).write('a: 3\n', { fence: h }), fenced());
    h.release();
    assert.equal(fs.readFileSync(data, 'latin1'), 'a: 2\n');
    const slow = new ReadModifyWrite<{ a: number }>(data, undefined, { fenced: true, maxHoldMs: 50 });
    await assert.rejects(slow.execute(async (d) => { await sleep(100); return { a: d.a + 1 }; }), fenced());
    assert.equal(fs.readFileSync(data, 'latin1'), 'a: 2\n');
    await assert.rejects(acquireFenced(t.file('e.lock'), { maxHoldMs: -1 }), RangeError);
  });

  it('a fence handle for another lock file is refused', async () => {
    const h = await acquireFenced(t.file('one.lock'));
    try {
      await assert.rejects(new AtomicFileWriter(t.file('two')).write('x', { fence: h }), TypeError);
    } finally {
      h.release();
    }
  });
});
