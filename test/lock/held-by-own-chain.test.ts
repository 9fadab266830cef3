import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { AtomicFileWriter, FileLock, FileSystemBackend, LockError, ReadModifyWrite, SafeFileReader } from '../../lib';
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

/** Waits out the linger of bodies run before (the tests above), so that what follows starts with tracking off. */
async function trackingOff(): Promise<void> {
  for (let waited = 0; chainTracking(); waited += 50) {
    assert.ok(waited < 3 * LINGER_MS, 'the chain tracking never switched off');
    await sleep(50);
  }
}

describe('ReadModifyWrite: an update started from its own update function', function () {
  this.timeout(15_000);
  const t = sandbox();

  // A plain function's code runs as a synchronous held frame: no
  // AsyncLocalStorage, so Node's promise hooks stay off for every promise of
  // the process, and a re-entry from that code is still refused.
  it('refuses a re-entry from a plain update function with ELOCKHELD, and leaves the chain tracking off', async () => {
    await trackingOff();
    const data = t.file('plain.yaml');
    fs.writeFileSync(data, 'n: 0\n');
    const rmw = new ReadModifyWrite<{ n: number }>(data, undefined, { timeout: LONG });
    let inner: Promise<unknown> | undefined;
    await rmw.execute((d) => {
      inner = rmw.execute(() => undefined).catch((e: unknown) => e);
      d.n += 1;
    });
    assert.equal(chainTracking(), false, 'no body turned the promise hooks on');
    const err = assertChainHeld(await inner, 'exclusive');
    const lines = placesIn(err.message);
    assert.equal(lines.length, 2, `two places of this file in: ${err.message}`);
    assert.notEqual(lines[0], lines[1], 'the request and the holder are different lines');
    assert.equal(fs.readFileSync(data, 'utf8'), 'n: 1\n', 'the outer update was written, the inner one refused');
  });

  it('refuses a lock of the same file from a plain update() function, and takes the write it decided', async () => {
    const data = t.file('decide.yaml');
    fs.writeFileSync(data, 'n: 0\n');
    const rmw = new ReadModifyWrite<{ n: number }>(data, undefined, { timeout: LONG });
    let caught: Promise<unknown> | undefined;
    const result = await rmw.update((d, op) => {
      caught = new FileLock(`${data}.lock`, { timeout: LONG }).acquire('shared').catch((e: unknown) => e);
      return op.write({ n: d.n + 1 }, 'done');
    });
    assert.equal(result, 'done');
    assertChainHeld(await caught, 'exclusive');
    assert.equal(fs.readFileSync(data, 'utf8'), 'n: 1\n');
  });

  it('tracks an async update function through its awaits: a re-entry after an await is refused', async () => {
    const data = t.file('async.yaml');
    fs.writeFileSync(data, 'n: 0\n');
    const rmw = new ReadModifyWrite<{ n: number }>(data, undefined, { timeout: LONG });
    let caught: unknown;
    await rmw.execute(async (d) => {
      await sleep(1);
      caught = await rmw.execute(() => undefined).catch((e: unknown) => e);
      d.n += 1;
    });
    assertChainHeld(caught, 'exclusive');
    assert.equal(fs.readFileSync(data, 'utf8'), 'n: 1\n');
  });

  it('lets a concurrent update with a plain function wait for the lock and make its change', async () => {
    const data = t.file('concurrent.yaml');
    fs.writeFileSync(data, 'n: 0\n');
    const rmw = new ReadModifyWrite<{ n: number }>(data, undefined, { timeout: LONG });
    let release!: () => void;
    const holding = rmw.execute(async (d) => { await new Promise<void>((r) => { release = r; }); d.n += 1; });
    const waiting = rmw.execute((d) => { d.n += 10; });
    await sleep(20);
    release();
    await Promise.all([holding, waiting]);
    assert.equal(fs.readFileSync(data, 'utf8'), 'n: 11\n');
  });
});

describe('bodies that run no user code under the lock', function () {
  this.timeout(15_000);
  const t = sandbox();

  it('writing data, reading, and the backend\'s writes, updates, appends and deletes leave the chain tracking off', async () => {
    await trackingOff();
    const file = t.file('w.yaml');
    await new AtomicFileWriter(file).write('a: 1\n');
    assert.equal(await new SafeFileReader(file).read(), 'a: 1\n');
    assert.deepEqual(await new SafeFileReader(file).readYaml(), { a: 1 });
    fs.mkdirSync(t.file('store'));
    const backend = new FileSystemBackend(t.file('store'));
    await backend.write('state.yaml', { b: 2 });
    assert.deepEqual(await backend.update<{ b: number }>('state.yaml', (d) => { d.b += 1; }), { b: 3 });
    assert.deepEqual(await backend.read('state.yaml'), { b: 3 });
    await backend.append('events.log', { e: 1 });
    assert.deepEqual(await backend.readLog('events.log'), [{ e: 1 }]);
    assert.equal(await backend.delete('events.log'), true);
    assert.equal(chainTracking(), false, 'no body turned the promise hooks on');
  });

  it('a write callback is user code that may await: a re-entry after an await is refused', async () => {
    const file = t.file('cb.yaml');
    const writer = new AtomicFileWriter(file, undefined, { timeout: LONG });
    let caught: unknown;
    await writer.write(async (out) => {
      await sleep(1);
      caught = await writer.write('never\n').catch((e: unknown) => e);
      await out.write('c: 1\n');
    });
    assertChainHeld(caught, 'exclusive');
    assert.equal(fs.readFileSync(file, 'utf8'), 'c: 1\n');
  });
});
