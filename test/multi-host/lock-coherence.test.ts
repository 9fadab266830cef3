// checkLockCoherence: does a lock taken here exclude other processes, and
// (with peerDir) processes using another mount of the same directory?
// Negative control: two bindfs mounts of one directory, whose locks are not
// shared. (The GlusterFS and CephFS pairs are checked in updates-across-hosts.test.ts.)
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { sandbox } from '../helpers';
import { checkLockCoherence } from '../../lib';

describe('checkLockCoherence', function () {
  this.timeout(60_000);
  const t = sandbox();

  it('reports a local directory as coherent, checks each probe, and leaves nothing behind', async () => {
    const report = await checkLockCoherence(t.dir);
    assert.equal(report.coherent, true, JSON.stringify(report, null, 2));
    assert.equal(report.dir, path.resolve(t.dir));
    assert.deepEqual(report.details.map((d) => [d.expected, d.observed]), [['blocked', 'blocked'], ['blocked', 'blocked'], ['acquired', 'acquired']]);
    assert.deepEqual(fs.readdirSync(t.dir), []);
  });

  it('reports a peerDir that is another directory as not coherent, saying why', async () => {
    fs.mkdirSync(t.file('a'));
    fs.mkdirSync(t.file('b'));
    const report = await checkLockCoherence(t.file('a'), { peerDir: t.file('b') });
    assert.equal(report.coherent, false);
    assert.ok(report.details.some((d) => !d.ok && /not the same directory/.test(d.error ?? '')), JSON.stringify(report.details));
  });

  it('fails with the system error when the directory does not exist', async () => {
    await assert.rejects(checkLockCoherence(t.file('missing')), { code: 'ENOENT' });
  });

  describe('two bindfs mounts of one directory (negative control)', () => {
    before(function () {
      const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
      if (process.platform !== 'linux' || uid !== 0 || !fs.existsSync('/usr/bin/bindfs') || !fs.existsSync('/dev/fuse')) {
        console.log('      skipped: needs Linux, root, /dev/fuse and bindfs (apt-get install bindfs, as .ci/run does)');
        this.skip();
      }
    });

    it('is detected as not coherent: a lock through one mount does not exclude a process using the other', async () => {
      const src = t.file('src');
      const mounts = [t.file('fl_bind_a'), t.file('fl_bind_b')];
      for (const d of [src, ...mounts]) fs.mkdirSync(d);
      const mounted: string[] = [];
      try {
        for (const m of mounts) { execFileSync('bindfs', [src, m]); mounted.push(m); }
        const report = await checkLockCoherence(mounts[0], { peerDir: mounts[1] });
        console.log(`      ${report.details.map((d) => `${d.name}: ${d.observed}`).join('; ')}`);
        assert.equal(report.coherent, false);
        const peer = report.details.find((d) => d.name.includes('peerDir'));
        assert.equal(peer?.observed, 'acquired', 'the peer mount granted a lock that was held');
        // Each mount alone is coherent: the problem is only across mounts.
        assert.equal((await checkLockCoherence(mounts[0])).coherent, true);
      } finally {
        for (const m of mounted) execFileSync('umount', [m]);
      }
    });
  });
});
