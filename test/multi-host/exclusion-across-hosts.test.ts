// Several machines, exclusion: a lock taken on host A excludes host B, both
// ways, whoever takes it: the package's FileLock, flock(1), or the Python plan
// (fcntl.flock); shared locks coexist across hosts and keep an exclusive one
// out; the death of a holder frees the lock for a waiter on the other host.
// On each engine of engines.ts (GlusterFS, CephFS), each skipped with the
// reason where it cannot run (root, FUSE, netns, the packages).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { forEachEngine, type Cluster, type Host } from './engines';
import { FIXTURES_SRC, Locker, PYTHON, hasPython, sleep, waitForLine } from '../helpers';

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

forEachEngine('several machines: exclusion across two client hosts', (c: Cluster) => {
  let dirName = '';
  let n = 0;
  /** The test's directory as seen from host A or B (one directory, two mounts). */
  const on = (h: Host, name = ''): string => path.join(c.mount(h), dirName, name);
  const lockerOn = (h: Host, name: string): Locker => new Locker(c.nodeOn(h, 'locker.js', [on(h, name)]));
  /** The Python plan's flock peer (test/fixtures/py_locker.py) on host `h`. */
  const pythonOn = (h: Host, name: string): Locker => new Locker(c.spawnOn(h, PYTHON, [path.join(FIXTURES_SRC, 'py_locker.py'), on(h, name)]));
  /** flock(1) on host `h`: `flock -n` exits 1 when the lock is held elsewhere. */
  async function flockTry(h: Host, name: string, mode: '-x' | '-s'): Promise<number | null> {
    const child = c.spawnOn(h, 'flock', ['-n', mode, on(h, name), 'true']);
    const [code] = await once(child, 'exit') as [number | null];
    return code;
  }
  /**
   * flock(1) on host `h` holding the lock until killed; resolves once it holds
   * it. -o: only flock(1) itself holds the descriptor, not its command (a cat
   * that ends when its stdin is closed).
   */
  async function flockHold(h: Host, name: string): Promise<ChildProcess> {
    const child = c.spawnOn(h, 'flock', ['-o', '-x', on(h, name), 'sh', '-c', 'echo held; exec cat >/dev/null']);
    await waitForLine(child, /^held/, 30_000);
    return child;
  }

  beforeEach(function () {
    this.timeout(30_000);
    dirName = `x${process.pid}-${++n}`;
    fs.mkdirSync(on('a'));
  });

  afterEach(async function () {
    this.timeout(30_000);
    await c.killChildren();
    if (dirName !== '' && fs.existsSync(on('b'))) fs.rmSync(on('b'), { recursive: true, force: true });
  });

  it('is one directory: a file created through A is the same file through B, with the same bigint inode number', () => {
    fs.writeFileSync(on('a', 'x'), Buffer.from('from A'));
    assert.equal(fs.readFileSync(on('b', 'x')).toString('utf8'), 'from A');
    const ia = fs.statSync(on('a', 'x'), { bigint: true }).ino;
    const ib = fs.statSync(on('b', 'x'), { bigint: true }).ino;
    assert.equal(ia, ib);
    const ino = BigInt.asUintN(64, ia); // st_ino is unsigned; Node's BigInt stats are signed 64-bit
    console.log(`      inode ${ino}${ino > 2n ** 53n ? ' (above 2^53: a Number would lose it)' : ''}`);
  });

  it('an exclusive lock held on host A makes host B wait, and B gets it when A releases', async () => {
    const a = lockerOn('a', 'l.lock');
    const b = lockerOn('b', 'l.lock');
    assert.match(await a.send('acquire exclusive'), /^ok acquired/);
    assert.equal(await b.send('try exclusive'), 'ok try false');
    assert.equal(await b.send('try shared'), 'ok try false');
    const waiting = b.post('acquire exclusive 20000');
    await sleep(300);
    const t0 = process.hrtime.bigint();
    await a.send('release');
    assert.match(await waiting, /^ok acquired/);
    console.log(`      hand-off A -> B after release: ${ms(t0).toFixed(1)} ms (parent's view, incl. 2 pipe round trips)`);
    assert.equal(await a.send('try exclusive'), 'ok try false');
  });

  it('shared locks on A and B coexist, and an exclusive request waits until both are released', async () => {
    const a = lockerOn('a', 'l.lock');
    const b = lockerOn('b', 'l.lock');
    const a2 = lockerOn('a', 'l.lock');
    const b2 = lockerOn('b', 'l.lock');
    assert.match(await a.send('acquire shared'), /^ok acquired/);
    assert.match(await b.send('acquire shared'), /^ok acquired/);
    assert.equal(await a2.send('try exclusive'), 'ok try false');
    assert.equal(await b2.send('try exclusive'), 'ok try false');
    let granted = false;
    const waiting = b2.post('acquire exclusive 20000').then((line) => { granted = true; return line; });
    await a.send('release');
    await sleep(500);
    assert.equal(granted, false, 'granted while B still held its shared lock');
    await b.send('release');
    assert.match(await waiting, /^ok acquired/);
    assert.equal(await a2.send('try shared'), 'ok try false');
  });

  it('flock(1) and the package exclude each other across hosts, both ways, for exclusive and shared requests', async () => {
    const a = lockerOn('a', 'f.lock');
    assert.match(await a.send('acquire exclusive'), /^ok acquired/);
    assert.equal(await flockTry('b', 'f.lock', '-x'), 1, 'flock -x on B got a lock the package holds on A');
    assert.equal(await flockTry('b', 'f.lock', '-s'), 1, 'flock -s on B got a lock the package holds on A');
    await a.send('release');
    assert.equal(await flockTry('b', 'f.lock', '-x'), 0, 'flock -x on B after A released');

    const holder = await flockHold('b', 'f.lock');
    assert.equal(await a.send('try exclusive'), 'ok try false');
    assert.equal(await a.send('try shared'), 'ok try false');
    const waiting = a.post('acquire exclusive 20000');
    await sleep(300);
    holder.kill('SIGKILL');
    holder.stdin!.destroy();
    await once(holder, 'exit');
    assert.match(await waiting, /^ok acquired/);
  });

  it('the Python plan (fcntl.flock) and the package exclude each other across hosts, both ways', async function () {
    if (!hasPython()) {
      console.log(`      skipped: ${PYTHON} not found`);
      this.skip();
    }
    const py = pythonOn('a', 'p.lock');
    const node = lockerOn('b', 'p.lock');
    assert.equal(await py.send('acquire exclusive'), 'ok acquired');
    assert.equal(await node.send('try exclusive'), 'ok try false');
    assert.equal(await node.send('try shared'), 'ok try false');
    const nodeWaits = node.post('acquire exclusive 20000');
    await sleep(300);
    assert.equal(await py.send('release'), 'ok released');
    assert.match(await nodeWaits, /^ok acquired/);

    // And the other way: the package holds on B, Python on A waits.
    assert.equal(await py.send('try exclusive'), 'ok try false');
    assert.equal(await py.send('try shared'), 'ok try false');
    let pyGranted = false;
    const pyWaits = py.post('acquire shared').then((line) => { pyGranted = true; return line; });
    await sleep(500);
    assert.equal(pyGranted, false, 'Python on A got a shared lock while the package held it exclusively on B');
    await node.send('release');
    assert.equal(await pyWaits, 'ok acquired');
    assert.equal(await node.send('try shared'), 'ok try true', 'shared beside Python\'s shared');
    assert.equal(await node.send('try exclusive'), 'ok try false');
  });

  it('kill -9 of the holder on host A frees the lock for the waiter on host B', async () => {
    const a = lockerOn('a', 'l.lock');
    const b = lockerOn('b', 'l.lock');
    assert.match(await a.send('acquire exclusive'), /^ok acquired/);
    const waiting = b.post('acquire exclusive 20000');
    await sleep(300);
    const t0 = process.hrtime.bigint();
    a.child.kill('SIGKILL');
    assert.match(await waiting, /^ok acquired/);
    console.log(`      B got the lock ${ms(t0).toFixed(1)} ms after kill -9 of A's holder`);
  });
});
