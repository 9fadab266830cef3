// Several machines, data: read-modify-write from two hosts loses no update;
// a file replaced with AtomicFileWriter on host A is only ever seen whole
// from host B, and how soon B sees each replacement; checkLockCoherence
// reports the two mounts as coherent. On each engine of engines.ts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { forEachEngine, type Cluster, type Host } from './engines';
import { waitForLine } from '../helpers';
import { AtomicFileWriter, checkLockCoherence } from '../../lib';
import { payload, check } from '../fixtures/gl_replace';

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
type ReadResult = { reads: number; torn: number; versions: number; errors: number; estale: number; last: number };
function parseReads(line: string): ReadResult {
  const [reads, torn, versions, errors, estale, last] = /^reads (\d+) torn (\d+) versions (\d+) errors (\d+) estale (\d+) last (-?\d+)/
    .exec(line)!.slice(1).map(Number);
  return { reads, torn, versions, errors, estale, last };
}

forEachEngine('several machines: updates and replacements seen across two client hosts', (c: Cluster) => {
  let dirName = '';
  let n = 0;
  const on = (h: Host, name = ''): string => path.join(c.mount(h), dirName, name);

  beforeEach(function () {
    this.timeout(30_000);
    dirName = `u${process.pid}-${++n}`;
    fs.mkdirSync(on('a'));
  });

  afterEach(async function () {
    this.timeout(30_000);
    await c.killChildren();
    if (dirName !== '' && fs.existsSync(on('b'))) fs.rmSync(on('b'), { recursive: true, force: true });
  });

  /** `per` ReadModifyWrite increments from each of `hosts` (one process each); checks that none is lost. */
  async function increments(hosts: Host[], per: number): Promise<void> {
    fs.writeFileSync(on('a', 'counter.yaml'), Buffer.from('counter: 0\nlog: []\n'));
    const procs = hosts.map((h, i) => c.nodeOn(h, 'rel_counter.js', [on(h, 'counter.yaml'), String(per), `${h}${i}`]));
    await Promise.all(procs.map((p) => waitForLine(p, /^ready/)));
    const t0 = Date.now();
    for (const p of procs) p.stdin!.write('go\n');
    await Promise.all(procs.map((p) => waitForLine(p, /^done/, 170_000)));
    const elapsed = Date.now() - t0;
    const text = fs.readFileSync(on('b', 'counter.yaml')).toString('utf8');
    const counter = Number(/^counter: (\d+)$/m.exec(text)![1]);
    const entries = text.split('\n').filter((l) => l.startsWith('- ')).length;
    const total = hosts.length * per;
    console.log(`      ${counter}/${total} increments kept, ${(total * 1000 / elapsed).toFixed(1)} updates/s across hosts (durable)`);
    assert.equal(counter, total);
    assert.equal(entries, total);
  }

  it('1 + 1 processes on two hosts running ReadModifyWrite increments lose no update', async function () {
    this.timeout(180_000);
    await increments(['a', 'b'], 25);
  });

  it('2 + 2 processes on two hosts running ReadModifyWrite increments lose no update', async function () {
    this.timeout(180_000);
    await increments(['a', 'a', 'b', 'b'], 25);
  });

  // Bounded by count and time (up to 200 replacements or 25 s of writing):
  // it proves that every read is whole, not a speed.
  it('AtomicFileWriter replacing a file on A is read whole on B while it is replaced (up to 200 times), and B sees the last version once A\'s write returned', async function () {
    this.timeout(150_000);
    fs.writeFileSync(on('a', 'data.bin'), payload(0));
    // Raw reads (no lock, no retry) show what rename alone guarantees; the
    // library's SafeFileReader adds the shared lock and the ESTALE retry.
    const raw = c.nodeOn('b', 'gl_replace.js', ['read', on('b', 'data.bin')]);
    const lib = c.nodeOn('b', 'gl_replace.js', ['readlib', on('b', 'data.bin')]);
    await Promise.all([waitForLine(raw, /^ready/), waitForLine(lib, /^ready/)]);
    const writer = c.nodeOn('a', 'gl_replace.js', ['write', on('a', 'data.bin'), '200', '25000']);
    const done = await waitForLine(writer, /^(done|fail)/, 140_000);
    assert.match(done, /^done/);
    const [written, writeMs] = done.split(' ').slice(1).map(Number);
    const results = [waitForLine(raw, /^reads/, 60_000), waitForLine(lib, /^reads/, 60_000)];
    raw.stdin!.write('stop\n');
    lib.stdin!.write('stop\n');
    const [rawLine, libLine] = await Promise.all(results);
    console.log(`      writer on A: ${written} replacements in ${writeMs} ms (${(written * 1000 / writeMs).toFixed(0)}/s while B reads)`);
    console.log(`      raw reader on B: ${rawLine}\n      SafeFileReader on B: ${libLine}`);
    assert.ok(written >= 20, `only ${written} replacements in ${writeMs} ms`);
    const r = parseReads(rawLine);
    assert.equal(r.torn, 0, 'torn raw reads');
    assert.equal(r.errors, r.estale, 'raw read errors other than ESTALE');
    assert.ok(r.versions >= 3, `only ${r.versions} distinct versions seen: the reads were not concurrent with the writes`);
    const l = parseReads(libLine);
    assert.equal(l.torn, 0, 'torn SafeFileReader reads');
    assert.equal(l.errors, 0, 'SafeFileReader errors');
    assert.ok(l.versions >= 3, `SafeFileReader: ${l.reads} reads, ${l.versions} versions`);
    // The read each reader made after A's last write returned sees that write.
    assert.equal(l.last, written, 'SafeFileReader on B, after A\'s last write returned');
    if (r.errors === 0) assert.equal(r.last, written, 'raw read on B, after A\'s last write returned');
    assert.equal(check(fs.readFileSync(on('b', 'data.bin'))), written);
  });

  it('a replacement on A is visible to the next read on B once A\'s write returned (30 replacements, each checked at once)', async function () {
    this.timeout(120_000);
    const writer = new AtomicFileWriter(on('a', 'v.bin'));
    await writer.write(payload(0));
    const late: number[] = [];
    const lat: number[] = [];
    for (let i = 1; i <= 30; i++) {
      await writer.write(payload(i));
      const t0 = process.hrtime.bigint();
      let seen = check(fs.readFileSync(on('b', 'v.bin')));
      if (seen !== i) late.push(i);
      // Not a pass condition: how long the old version stays visible, if it does.
      while (seen !== i && ms(t0) < 10_000) seen = check(fs.readFileSync(on('b', 'v.bin')));
      lat.push(ms(t0));
      assert.ok(seen === i, `B still saw version ${seen} 10 s after A's write of ${i} returned`);
    }
    lat.sort((x, y) => x - y);
    console.log(`      first read on B after each write on A: ${30 - late.length}/30 new; `
      + `until new: median ${lat[15].toFixed(2)} ms, max ${lat[29].toFixed(2)} ms`);
    assert.deepEqual(late, [], 'reads on B that still returned the replaced version after A\'s write returned');
  });

  it('checkLockCoherence reports the two mounts as coherent', async () => {
    const t0 = Date.now();
    const report = await checkLockCoherence(on('a'), { peerDir: on('b') });
    console.log(`      ${report.details.map((d) => `${d.name}: ${d.observed}`).join('; ')} (${Date.now() - t0} ms)`);
    assert.equal(report.coherent, true, JSON.stringify(report, null, 2));
    assert.ok(report.details.some((d) => d.name.includes('peerDir') && d.observed === 'blocked'));
  });
});
