// Partition honesty on GlusterFS: host B holds a lock and is cut off from the
// server. The server gives the lock to host A after its timeout while B still
// believes it holds it (split-brain); when B comes back, its late write is
// refused by the fencing token, and the file keeps A's data.
//
// The GlusterFS environment of engines.ts (one volume, two FUSE clients in
// network namespaces fl_a and fl_b, the server dropping a vanished client's
// locks after ~5 s). B is cut off by taking down its veth, fl_vb. GlusterFS
// only: on CephFS the MDS keeps a cut-off client's locks for at least 30 s
// (session_autoclose) and then evicts the client, not covered here yet.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { forEachEngine, GLUSTER, type Cluster, type Host } from './engines';
import { Locker, sleep } from '../helpers';


const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

forEachEngine('several machines: a network partition, and the fencing token', (c: Cluster) => {
  let cut = false;
  const dirName = `p${process.pid}`;
  const on = (h: Host, name = ''): string => path.join(c.mount(h), dirName, name);

  const link = (state: 'up' | 'down'): void => c.link('b', state);

  /** A fence_holder child on host `h`; every stdout line is kept in `lines`. */
  function holderOn(h: Host, lines: string[]): Locker {
    const child = c.nodeOn(h, 'fence_holder.js', [on(h, 'state.yaml.lock'), on(h, 'state.yaml')]);
    let buf = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
    });
    return new Locker(child);
  }


  after(async function () {
    this.timeout(60_000);
    // Even after a failure: B's link back up, the children gone, then the environment.
    if (cut) try { link('up'); } catch { /* the down script removes it anyway */ }
    await c.killChildren();
  });

  it('B cut off while holding the lock: A gets it after the server timeout while B still believes it holds it; back online, B\'s late writes are refused by the fencing token', async function () {
    this.timeout(60_000);
    fs.mkdirSync(on('a'));
    fs.writeFileSync(on('a', 'state.yaml'), Buffer.from('writer: nobody\n'));
    const bLines: string[] = [];
    const b = holderOn('b', bLines);
    const a = holderOn('a', []);

    // B takes the exclusive lock with token 1 and can write under it.
    assert.match(await b.send('hold 10000'), /^ok held 1 /);
    assert.equal(await b.send('rmw B-before'), 'ok wrote');
    // A waits for the lock, blocked in flock on its own Gluster client.
    let aGranted = false;
    const aHold = a.post('hold 40000').then((line) => { aGranted = true; return line; });
    await sleep(500);
    assert.equal(aGranted, false, 'A got the lock while B held it, before any partition');

    // Cut B off. Nothing in B's process is told.
    const tCut = process.hrtime.bigint();
    cut = true;
    link('down');
    const aLine = await aHold;
    const serverTimeout = ms(tCut);
    assert.match(aLine, /^ok held 2 /, 'A, the next fenced holder, gets token 2');
    console.log(`      A got the lock ${serverTimeout.toFixed(0)} ms after B was cut off (server.tcp-user-timeout 5 + keepalive 2/1/3)`);
    assert.ok(serverTimeout > 2_000, `the server released B's lock after only ${serverTimeout.toFixed(0)} ms`);

    // Split-brain: both believe they hold the exclusive lock.
    assert.equal(await b.send('status'), 'ok status held=true token=1', 'B no longer believes it holds the lock');
    assert.equal(await a.send('status'), 'ok status held=true token=2');
    assert.equal(await a.send('rmw A'), 'ok wrote');
    assert.match(fs.readFileSync(on('a', 'state.yaml')).toString('utf8'), /^token: '2'\nwriter: A\n$/);

    // Heal the partition; wait (bounded) until B's mount serves A's data again.
    const tUp = process.hrtime.bigint();
    link('up');
    cut = false;
    let seen = '';
    let lastErr = '';
    let reads = 0;
    while (ms(tUp) < 35_000) {
      reads++;
      const read = fs.promises.readFile(on('b', 'state.yaml')).then((buf) => buf.toString('utf8'), (err: NodeJS.ErrnoException) => {
        lastErr = err.code ?? String(err.errno);
        return '';
      });
      // A read may hang while the client reconnects: wait for it, up to the bound.
      let timer: NodeJS.Timeout | undefined;
      seen = await Promise.race([read, new Promise<string>((r) => { timer = setTimeout(() => r(''), 35_000 - ms(tUp)); })]);
      clearTimeout(timer);
      if (seen.includes('writer: A')) break;
      await sleep(100);
    }
    const recovery = ms(tUp);
    assert.ok(seen.includes('writer: A'), `B's mount did not recover within 35 s (last error ${lastErr}, read ${JSON.stringify(seen)})`);
    console.log(`      B's mount served A's data ${recovery.toFixed(0)} ms after its link came back (${reads} reads; last error before: ${lastErr || 'none'})`);

    // B still believes it holds the lock, and its process never saw an error.
    assert.equal(await b.send('status'), 'ok status held=true token=1');
    // B's late writes, under the lock it believes it holds, are refused by the token.
    const tLate = process.hrtime.bigint();
    const rmwLine = await b.send('rmw B-late');
    const refusedIn = ms(tLate);
    const writeLine = await b.send('write B-late');
    console.log(`      B's late ReadModifyWrite refused in ${refusedIn.toFixed(1)} ms: ${rmwLine}`);
    assert.match(rmwLine, /^err EFENCED .*another holder took the lock .*token 1, now 2/);
    assert.match(writeLine, /^err EFENCED /);
    assert.deepEqual(bLines.filter((l) => l.startsWith('uncaught')), [], 'B\'s process got an error outside its commands');

    // The file holds A's data, seen from both hosts, and no temp file is left.
    for (const h of ['a', 'b'] as Host[]) {
      assert.match(fs.readFileSync(on(h, 'state.yaml')).toString('utf8'), /^token: '2'\nwriter: A\n$/, `state.yaml through ${h}`);
    }
    assert.deepEqual(fs.readdirSync(on('a')).filter((f) => f.endsWith('.tmp')), []);
    await a.send('release');
  });
}, [GLUSTER], { fresh: true });
