import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { FileLock, LockError, ReadModifyWrite, SafeFileReader } from '../../lib';
import { sandbox, sleep } from '../helpers';
import { LINGER_MS, chainTracking } from '../../lib/lock/held-by-chain';

// The lock timeout is far beyond the test's own: a request that queued behind
// its own chain (the old behaviour) fails the test by mocha's timeout, not by
// a race against a clock.
const LONG = 120_000;
const THIS_FILE = __filename;

function assertChainHeld(err: unknown, heldMode: string): LockError {
  assert.ok(err instanceof LockError, `expected a LockError, got ${String(err)}`);
  assert.equal(err.code, 'ELOCKHELD');
  assert.match(err.message, new RegExp(`already held \\(${heldMode}\\) by this async call chain`));
  return err;
}

/** The places the message names: every "file:line:col" of this test file. */
function placesIn(message: string): string[] {
  return [...message.matchAll(/(\/[^\s():]+):(\d+):\d+/g)].filter((m) => m[1] === THIS_FILE).map((m) => m[2]);
}

describe('FileLock: an async acquisition its own call chain already holds', function () {
  this.timeout(15_000);
  const t = sandbox();

  it('rejects at once with ELOCKHELD naming where it was asked for and where the holder acquired it', async () => {
    const lock = new FileLock(t.file('a.lock'), { timeout: LONG });
    let caught: unknown;
    await lock.acquireExclusive(async () => {
      await sleep(1);
      caught = await lock.acquire('exclusive').catch((e: unknown) => e);
    });
    const err = assertChainHeld(caught, 'exclusive');
    const lines = placesIn(err.message);
    assert.equal(lines.length, 2, `two places of this file in: ${err.message}`);
    assert.notEqual(lines[0], lines[1], 'the request and the holder are different lines');
    assert.ok(err.waitedMs < LONG);
  });

  it('finds it through nested bodies, other locks in between, and a different spelling of the path', async () => {
    fs.mkdirSync(t.file('sub'));
    const outer = new FileLock(t.file('outer.lock'), { timeout: LONG });
    const other = new FileLock(t.file('other.lock'), { timeout: LONG });
    let caught: unknown;
    await outer.acquireShared(() => other.acquireExclusive(async () => {
      caught = await new FileLock(t.file('sub/../outer.lock'), { timeout: LONG }).acquireExclusive(() => 'never')
        .catch((e: unknown) => e);
    }));
    const err = assertChainHeld(caught, 'shared');
    assert.equal(placesIn(err.message).length, 2, err.message);
  });

  it('refuses ReadModifyWrite.execute inside a shared body on its lock file (the old Quick tour deadlock)', async () => {
    const data = t.file('queue.yaml');
    const lock = new FileLock(`${data}.lock`, { timeout: LONG });
    const rmw = new ReadModifyWrite(data, undefined, { timeout: LONG, initial: { tasks: [] } });
    const caught = await lock.acquireShared(() => rmw.execute(() => undefined).catch((e: unknown) => e));
    assertChainHeld(caught, 'shared');
    assert.equal(fs.existsSync(data), false, 'nothing was written');
    // Outside the body the same update goes through.
    await rmw.execute(() => undefined);
    assert.equal(fs.readFileSync(data, 'utf8'), 'tasks: []\n');
  });

  it('lets shared inside shared through, as shared holders in one process share the lock', async () => {
    fs.writeFileSync(t.file('s.yaml'), 'a: 1\n');
    const lock = new FileLock(t.file('s.yaml.lock'), { timeout: LONG });
    const got = await lock.acquireShared(() => new SafeFileReader(t.file('s.yaml')).readYaml());
    assert.deepEqual(got, { a: 1 });
  });

  it('does not refuse a concurrent chain: it waits for the holder and gets the lock', async () => {
    const lock = new FileLock(t.file('c.lock'), { timeout: LONG });
    const order: string[] = [];
    let release!: () => void;
    const holding = lock.acquireExclusive(() => new Promise<void>((r) => { release = r; order.push('a in'); }));
    const waiting = lock.acquireExclusive(() => { order.push('b in'); });
    await sleep(20);
    assert.deepEqual(order, ['a in']);
    release();
    await Promise.all([holding, waiting]);
    assert.deepEqual(order, ['a in', 'b in']);
  });

  it('does not refuse a task the body left running once the body has released the lock', async () => {
    const lock = new FileLock(t.file('late.lock'), { timeout: LONG });
    let late: Promise<string> | undefined;
    await lock.acquireExclusive(() => {
      late = sleep(30).then(() => lock.acquireExclusive(() => 'got it'));
    });
    assert.equal(await late, 'got it');
  });

  it('handles from acquire() are not tracked: two tasks of one chain take turns on one lock', async () => {
    const lock = new FileLock(t.file('turns.lock'), { timeout: LONG });
    const worker = async (): Promise<void> => {
      const h = await lock.acquire('exclusive');
      await sleep(5);
      h.release();
    };
    const outer = new FileLock(t.file('outer2.lock'), { timeout: LONG });
    await outer.acquireExclusive(() => Promise.all([worker(), worker()]));
    await Promise.all([worker(), worker()]);
  });

  // Switching Node 20's promise hooks on and off deoptimizes promise code:
  // a loop of updates that waits for the lock between its bodies must not
  // switch them once per body. (Margins of half a linger against a stalled
  // event loop; nothing here is a speed measurement.)
  it('keeps tracking between bodies, and stops once no body has run for a linger', async () => {
    const lock = new FileLock(t.file('linger.lock'), { timeout: LONG });
    const macrotask = (): Promise<void> => new Promise((r) => setImmediate(r));
    await lock.acquireExclusive(() => undefined);
    await macrotask();
    await macrotask();
    assert.equal(chainTracking(), true, 'still on two macrotasks after the body');
    await sleep(LINGER_MS / 2);
    await lock.acquireExclusive(() => undefined);
    await sleep(LINGER_MS / 2 + LINGER_MS / 4);
    assert.equal(chainTracking(), true, 'a body in the linger starts it again');
    await sleep(LINGER_MS / 2 + LINGER_MS / 4);
    assert.equal(chainTracking(), false, 'off a linger and a half after the last body');
    await lock.acquireExclusive(async () => {
      assert.equal(chainTracking(), true, 'on again inside the next body');
      await assert.rejects(lock.acquireExclusive(() => undefined), (err) => assertChainHeld(err, 'exclusive') !== undefined);
    });
  });
});
