// Several machines, a host's file system client dies: host A's FUSE client
// (glusterfs, ceph-fuse) is killed while A holds a lock and replaces a file.
// B gets the lock, when the server notices (Gluster: at once, the TCP
// connection closes; CephFS: when the MDS closes A's session, session_autoclose
// 30 s here), and finds the file whole. A is remounted afterwards.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { forEachEngine, type Cluster, type Host } from './engines';
import { Locker, sleep, waitForLine } from '../helpers';
import { SafeFileReader, AtomicFileWriter } from '../../lib';
import { payload, check } from '../fixtures/gl_replace';

forEachEngine('several machines: a host\'s file system client crashes', (c: Cluster) => {
  const dirName = `k${process.pid}`;
  const on = (h: Host, name = ''): string => path.join(c.mount(h), dirName, name);
  let killed = false;

  after(async function () {
    this.timeout(90_000);
    await c.killChildren();
    if (killed) c.remount('a');
    if (fs.existsSync(on('b'))) fs.rmSync(on('b'), { recursive: true, force: true });
  });

  it('B takes the lock A held and finds the file A was replacing whole', async function () {
    this.timeout(120_000);
    fs.mkdirSync(on('a'));
    fs.writeFileSync(on('a', 'data.bin'), payload(0));
    const holder = new Locker(c.nodeOn('a', 'locker.js', [on('a', 'held.lock')]));
    assert.match(await holder.send('acquire exclusive'), /^ok acquired/);
    const writer = c.nodeOn('a', 'gl_replace.js', ['loop', on('a', 'data.bin')]);
    await waitForLine(writer, /^wrote 3/, 30_000);
    const b = new Locker(c.nodeOn('b', 'locker.js', [on('b', 'held.lock')]));
    const waiting = b.post('acquire exclusive 100000');
    await sleep(200);
    const writerFailed = waitForLine(writer, /^fail/, 100_000);
    const pid = c.clientPid('a');
    const t0 = process.hrtime.bigint();
    killed = true;
    process.kill(pid, 'SIGKILL');
    // Bounded by Locker.post's own 60 s (a race with a 100 s sleep kept mocha alive for 100 s).
    const line = await waiting;
    assert.match(line, /^ok acquired/);
    console.log(`      B got A's lock ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms after A's client was killed`);
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
