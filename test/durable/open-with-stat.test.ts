import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../../lib/native';
import { ReadModifyWrite } from '../../lib';
import { sandbox } from '../helpers';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/** The descriptors this process has open now (Linux: /proc/self/fd). */
function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

describe('one native call opens a file with its attributes (openStat, readKept)', () => {
  const t = sandbox();
  const out = new Float64Array(5);

  it('readKept returns the whole file and keeps its descriptor open for the caller, with mode, owner and length', () => {
    const p = t.file('data.yaml');
    fs.writeFileSync(p, 'counter: 1\n', { mode: 0o640 });
    fs.chmodSync(p, 0o640);
    const buf = native.readKept(-1, p, O_RDONLY | O_NOFOLLOW, 0, out);
    try {
      assert.equal(buf.subarray(0, out[4]).toString(), 'counter: 1\n');
      assert.equal(out[1] & 0o7777, 0o640);
      assert.equal(out[2], fs.statSync(p).uid);
      assert.equal(out[3], fs.statSync(p).gid);
      // The descriptor is open on the same inode, and survives a rename over the path.
      const ino = fs.fstatSync(out[0]).ino;
      assert.equal(ino, fs.statSync(p).ino);
      fs.writeFileSync(`${p}.new`, 'counter: 2\n');
      fs.renameSync(`${p}.new`, p);
      assert.equal(fs.fstatSync(out[0]).ino, ino);
    } finally {
      fs.closeSync(out[0]);
    }
  });

  it('readKept reads to the end whatever size fstat reported: a /proc file (size 0) in full, and a 300 KB file', () => {
    const status = native.readKept(-1, '/proc/self/status', O_RDONLY, 0, out);
    fs.closeSync(out[0]);
    assert.match(status.subarray(0, out[4]).toString(), /^Name:/);
    assert.ok(out[4] > 1, `read ${out[4]} bytes of /proc/self/status`);
    const big = t.file('big');
    const text = 'x'.repeat(300_000);
    fs.writeFileSync(big, text);
    const buf = native.readKept(-1, big, O_RDONLY, 0, out);
    fs.closeSync(out[0]);
    assert.equal(out[4], 300_000);
    assert.equal(buf.subarray(0, out[4]).toString(), text);
  });

  it('readKept relative to an open directory, and through no symlink with O_NOFOLLOW (ELOOP)', () => {
    fs.writeFileSync(t.file('real'), 'a: 1\n');
    fs.symlinkSync('real', t.file('link'));
    const dirFd = fs.openSync(t.dir, O_RDONLY);
    try {
      const buf = native.readKept(dirFd, 'real', O_RDONLY | O_NOFOLLOW, 0, out);
      fs.closeSync(out[0]);
      assert.equal(buf.subarray(0, out[4]).toString(), 'a: 1\n');
      assert.throws(() => native.readKept(dirFd, 'link', O_RDONLY | O_NOFOLLOW, 0, out),
        (err: NodeJS.ErrnoException) => err.code === 'ELOOP' && err.syscall === 'open');
    } finally {
      fs.closeSync(dirFd);
    }
  });

  it('a failed readKept or openStat leaves no descriptor open: ENOENT at the open, EISDIR at the read, EEXIST at an O_EXCL create', () => {
    const before = openFds();
    assert.throws(() => native.readKept(-1, t.file('missing'), O_RDONLY, 0, out),
      (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.syscall === 'open');
    // A directory opens read-only; its read fails, after the open and the fstat.
    assert.throws(() => native.readKept(-1, t.dir, O_RDONLY, 0, out),
      (err: NodeJS.ErrnoException) => err.code === 'EISDIR' && err.syscall === 'read');
    fs.writeFileSync(t.file('taken'), '');
    assert.throws(() => native.openStat(-1, t.file('taken'), O_WRONLY | O_CREAT | O_EXCL, 0o644, out),
      (err: NodeJS.ErrnoException) => err.code === 'EEXIST' && err.syscall === 'open');
    assert.equal(openFds(), before);
  });

  it('openStat creates with the mode less the umask and reports what the file got', () => {
    const old = process.umask(0o027);
    let fd = -1;
    try {
      fd = native.openStat(-1, t.file('new'), O_WRONLY | O_CREAT | O_EXCL, 0o666, out);
      assert.equal(out[0], fd);
      assert.equal(out[1] & 0o7777, 0o640);
      assert.equal(fs.fstatSync(fd).mode & 0o7777, 0o640);
      assert.equal(out[4], 0);
    } finally {
      process.umask(old);
      if (fd !== -1) fs.closeSync(fd);
    }
  });

  it('out must be a Float64Array of 5: anything else is a TypeError and opens nothing', () => {
    fs.writeFileSync(t.file('f'), '');
    const before = openFds();
    assert.throws(() => native.openStat(-1, t.file('f'), O_RDONLY, 0, new Float64Array(4)), TypeError);
    assert.throws(() => native.readKept(-1, t.file('f'), O_RDONLY, 0, [0, 0, 0, 0, 0] as unknown as Float64Array), TypeError);
    assert.equal(openFds(), before);
  });

  it('an update under a umask that would narrow the mode (077) keeps the file\'s own (0644), async and sync', async () => {
    const p = t.file('shared.yaml');
    fs.writeFileSync(p, 'n: 0\n');
    fs.chmodSync(p, 0o644);
    const old = process.umask(0o077);
    try {
      const rmw = new ReadModifyWrite<{ n: number }>(p, undefined, { durable: false });
      await rmw.execute((d) => { d.n += 1; });
      assert.equal(fs.statSync(p).mode & 0o7777, 0o644);
      rmw.executeSync((d) => { d.n += 1; });
      assert.equal(fs.statSync(p).mode & 0o7777, 0o644);
      assert.equal(fs.readFileSync(p, 'utf8'), 'n: 2\n');
      assert.deepEqual(fs.readdirSync(path.dirname(p)).filter((n) => n.endsWith('.tmp')), []);
    } finally {
      process.umask(old);
    }
  });
});
