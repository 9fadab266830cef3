// Fencing tokens across hosts, on each engine: host A holds a fenced lock and
// its file system client dies (killed: a crashed ceph-fuse or glusterfs, a
// rebooted client machine whose agent process somehow lives on). The server
// gives the lock to host B with the next token (GlusterFS: at once, the TCP
// connection closes; CephFS: when the MDS closes A's session, 30 s here). A's
// client comes back (remount); A's process still believes it holds the lock
// with token 1, and its late writes are refused by the token: the file keeps
// B's data. (The partition variant, GlusterFS only, is partition.test.ts.)
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { forEachEngine, type Cluster, type Host } from './engines';
import { Locker, sleep } from '../helpers';

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

forEachEngine('several machines: fencing tokens when a host\'s client is lost', (c: Cluster) => {
  const dirName = `f${process.pid}`;
  const on = (h: Host, name = ''): string => path.join(c.mount(h), dirName, name);
  let killed = false;

  /** A fence_holder child on host `h`; its stdout lines are kept in `lines`. */
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
    this.timeout(90_000);
    await c.killChildren();
    if (killed) c.remount('a');
    if (fs.existsSync(on('b'))) fs.rmSync(on('b'), { recursive: true, force: true });
  });

  it('A\'s client killed while A holds token 1: B gets token 2, and after A\'s client is back, A\'s late writes are refused by the token', async function () {
    this.timeout(150_000);
    fs.mkdirSync(on('a'));
    fs.writeFileSync(on('a', 'state.yaml'), Buffer.from('writer: nobody\n'));
    const aLines: string[] = [];
    const a = holderOn('a', aLines);
    const b = holderOn('b', []);
    assert.match(await a.send('hold 10000'), /^ok held 1 /);
    assert.equal(await a.send('rmw A-before'), 'ok wrote');
    let bGranted = false;
    const bHold = b.post('hold 100000').then((line) => { bGranted = true; return line; });
    await sleep(500);
    assert.equal(bGranted, false, 'B got the lock while A held it');

    const t0 = process.hrtime.bigint();
    killed = true;
    process.kill(c.clientPid('a'), 'SIGKILL');
    assert.match(await bHold, /^ok held 2 /, 'B, the next fenced holder, gets token 2');
    console.log(`      B got token 2 ${ms(t0).toFixed(0)} ms after A's client was killed`);
    assert.equal(await b.send('rmw B'), 'ok wrote');

    // A's client comes back; A's process never noticed anything.
    const tUp = process.hrtime.bigint();
    c.remount('a');
    killed = false;
    console.log(`      A remounted in ${ms(tUp).toFixed(0)} ms`);
    assert.equal(await a.send('status'), 'ok status held=true token=1');
    const rmwLine = await a.send('rmw A-late');
    const writeLine = await a.send('write A-late');
    assert.match(rmwLine, /^err EFENCED .*token 1, now 2/);
    assert.match(writeLine, /^err EFENCED /);
    assert.deepEqual(aLines.filter((l) => l.startsWith('uncaught')), [], 'A\'s process got an error outside its commands');
    for (const h of ['a', 'b'] as Host[]) {
      assert.match(fs.readFileSync(on(h, 'state.yaml')).toString('utf8'), /^token: '2'\nwriter: B\n$/, `state.yaml through ${h}`);
    }
    assert.deepEqual(fs.readdirSync(on('b')).filter((f) => f.endsWith('.tmp')), []);
    await b.send('release');
  });
});
