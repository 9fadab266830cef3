// Several machines: the real API on GlusterFS, from two client "hosts".
//
// test/multi-host/gluster/gluster-up.sh starts a one-brick volume and mounts it twice,
// each mount's FUSE client in its own network namespace (fl_a, fl_b). A
// process "on host A" is started with `nsenter --net=/run/netns/fl_a` and uses
// A's mount point; one "on host B" the same with B. Locks and files go through
// the two independent Gluster clients, as they would from two machines.
//
// Needs root and the Debian packages glusterfs-server, glusterfs-client and
// bindfs (.ci/run installs them). Without root or without the packages the
// suite is skipped, with the reason printed; once they are there, a setup
// failure is a test failure.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { GLUSTER_SCRIPTS, useGluster, glusterDown, type Host } from './gluster-env';
import { FIXTURES_JS, Locker, waitForLine, sleep } from '../helpers';
import { SafeFileReader, AtomicFileWriter, checkLockCoherence } from '../../lib';
import { payload, check } from '../fixtures/gl_replace';


describe('several machines: GlusterFS seen from two client hosts', function () {
  this.timeout(60_000);
  this.slow(10_000);
  const mnt = useGluster();
  const children = new Set<ChildProcess>();
  let dirName = '';
  let n = 0;
  /** The test's directory as seen from host A or B (one directory, two mounts). */
  const on = (h: Host, name = ''): string => path.join(mnt[h], dirName, name);

  /** A Node process on host `h`. */
  function spawnOn(h: Host, script: string, args: string[]): ChildProcess {
    const child = spawn('nsenter', [`--net=/run/netns/fl_${h}`, process.execPath, path.join(FIXTURES_JS, script), ...args],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    children.add(child);
    return child;
  }
  const lockerOn = (h: Host, name: string): Locker => new Locker(spawnOn(h, 'locker.js', [on(h, name)]));


  after(function () {
    this.timeout(60_000);
    if (mnt.a !== '') glusterDown();
  });

  beforeEach(() => {
    dirName = `t${process.pid}-${++n}`;
    fs.mkdirSync(on('a'));
  });

  afterEach(async function () {
    this.timeout(30_000);
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await Promise.race([once(child, 'exit'), sleep(5_000)]);
      }
    }
    children.clear();
    // Through B: A's mount is dead after the client-crash test.
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
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`      hand-off A -> B after release: ${ms.toFixed(1)} ms (parent's view, incl. 2 pipe round trips)`);
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

  it('kill -9 of the holder on host A frees the lock for the waiter on host B', async () => {
    const a = lockerOn('a', 'l.lock');
    const b = lockerOn('b', 'l.lock');
    assert.match(await a.send('acquire exclusive'), /^ok acquired/);
    const waiting = b.post('acquire exclusive 20000');
    await sleep(300);
    const t0 = process.hrtime.bigint();
    a.child.kill('SIGKILL');
    assert.match(await waiting, /^ok acquired/);
    console.log(`      B got the lock ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms after kill -9 of A's holder`);
  });

  it('2 + 2 processes on two hosts running ReadModifyWrite increments lose no update', async function () {
    this.timeout(120_000);
    const PER = 25;
    fs.writeFileSync(on('a', 'counter.yaml'), Buffer.from('counter: 0\nlog: []\n'));
    const procs = (['a', 'a', 'b', 'b'] as Host[]).map((h, i) => spawnOn(h, 'rel_counter.js', [on(h, 'counter.yaml'), String(PER), `${h}${i}`]));
    await Promise.all(procs.map((p) => waitForLine(p, /^ready/)));
    const t0 = Date.now();
    for (const p of procs) p.stdin!.write('go\n');
    await Promise.all(procs.map((p) => waitForLine(p, /^done/, 110_000)));
    const ms = Date.now() - t0;
    const text = fs.readFileSync(on('b', 'counter.yaml')).toString('utf8');
    const counter = Number(/^counter: (\d+)$/m.exec(text)![1]);
    const entries = text.split('\n').filter((l) => l.startsWith('- ')).length;
    console.log(`      ${counter}/${4 * PER} increments kept, ${(4 * PER * 1000 / ms).toFixed(0)} updates/s across hosts (durable)`);
    assert.equal(counter, 4 * PER);
    assert.equal(entries, 4 * PER);
  });

  it('AtomicFileWriter replacing a file through A is read whole through B, never torn, over 200+ concurrent replacements', async function () {
    this.timeout(120_000);
    const N = 250;
    fs.writeFileSync(on('a', 'data.bin'), payload(0));
    // Raw reads (no lock, no retry) show what rename alone guarantees; the
    // library's SafeFileReader adds the shared lock and the ESTALE retry.
    const raw = spawnOn('b', 'gl_replace.js', ['read', on('b', 'data.bin'), String(N)]);
    const lib = spawnOn('b', 'gl_replace.js', ['readlib', on('b', 'data.bin'), String(N)]);
    await Promise.all([waitForLine(raw, /^ready/), waitForLine(lib, /^ready/)]);
    const writer = spawnOn('a', 'gl_replace.js', ['write', on('a', 'data.bin'), String(N)]);
    const [done, rawResult, libResult] = await Promise.all([waitForLine(writer, /^(done|fail)/, 110_000),
      waitForLine(raw, /^reads/, 110_000), waitForLine(lib, /^reads/, 110_000)]);
    console.log(`      writer on A: ${done} ms\n      raw reader on B: ${rawResult}\n      SafeFileReader on B: ${libResult}`);
    assert.match(done, /^done/);
    const parse = (line: string): number[] => /^reads (\d+) torn (\d+) versions (\d+) errors (\d+) estale (\d+)/.exec(line)!.slice(1).map(Number);
    const [reads, torn, versions, errors, estale] = parse(rawResult);
    assert.equal(torn, 0, 'torn raw reads');
    assert.ok(reads >= 200, `only ${reads} raw reads`);
    assert.ok(versions >= 20, `only ${versions} distinct versions seen: the reads were not concurrent with the writes`);
    assert.equal(errors, estale, 'raw read errors other than ESTALE');
    const [libReads, libTorn, libVersions, libErrors] = parse(libResult);
    assert.equal(libTorn, 0, 'torn SafeFileReader reads');
    assert.equal(libErrors, 0, 'SafeFileReader errors');
    assert.ok(libReads >= 200 && libVersions >= 20, `SafeFileReader: ${libReads} reads, ${libVersions} versions`);
    assert.equal(check(fs.readFileSync(on('b', 'data.bin'))), N);
  });

  it('checkLockCoherence reports the two Gluster mounts as coherent', async () => {
    const t0 = Date.now();
    const report = await checkLockCoherence(on('a'), { peerDir: on('b') });
    console.log(`      ${report.details.map((d) => `${d.name}: ${d.observed}`).join('; ')} (${Date.now() - t0} ms)`);
    assert.equal(report.coherent, true, JSON.stringify(report, null, 2));
    assert.ok(report.details.some((d) => d.name.includes('peerDir') && d.observed === 'blocked'));
  });

  // Last: it leaves A's mount dead (the after hook removes it).
  it('crash of host A\'s Gluster client: B takes the lock A held and finds the file A was replacing whole', async function () {
    this.timeout(60_000);
    fs.writeFileSync(on('a', 'data.bin'), payload(0));
    const holder = lockerOn('a', 'held.lock');
    assert.match(await holder.send('acquire exclusive'), /^ok acquired/);
    const writer = spawnOn('a', 'gl_replace.js', ['loop', on('a', 'data.bin')]);
    await waitForLine(writer, /^wrote 3/);
    const b = lockerOn('b', 'held.lock');
    const waiting = b.post('acquire exclusive 30000');
    await sleep(200);
    const writerFailed = waitForLine(writer, /^fail/, 20_000);
    const pid = execFileSync('bash', ['-c', `. ${path.join(GLUSTER_SCRIPTS, 'gluster-env.sh')}; client_pid ${mnt.a}`], { encoding: 'utf8' }).trim();
    const t0 = process.hrtime.bigint();
    process.kill(Number(pid), 'SIGKILL');
    assert.match(await waiting, /^ok acquired/);
    console.log(`      B got A's lock ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms after A's glusterfs client was killed`);
    // The replacement A was in the middle of is either done or not: never half.
    const v = check(fs.readFileSync(on('b', 'data.bin')));
    assert.ok(v >= 3, `data.bin torn or stale after A's crash (version ${v})`);
    // And B can go on using the file under the same lock protocol.
    await new AtomicFileWriter(on('b', 'data.bin')).write(payload(v + 1));
    assert.equal(check(Buffer.from(await new SafeFileReader(on('b', 'data.bin')).read())), v + 1);
    // A's writer sees the dead mount as an error, not a hang: ENOTCONN from a file
    // operation, or ECONNABORTED when its next flock reaches the dead client first.
    assert.match(await writerFailed, /^fail (ENOTCONN|ECONNABORTED)\b/);
  });
});
