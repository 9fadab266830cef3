import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { AtomicFileWriter, FileLock, FileLockingError, SafeFileReader } from '../../lib';
import { Locker, sandbox, sleep } from '../helpers';

const temps = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('AtomicFileWriter and SafeFileReader', () => {
  const t = sandbox();

  it('replaces a file with a string, bytes, or what a callback writes, and leaves no temp file', async () => {
    const p = t.file('state.yaml');
    const w = new AtomicFileWriter(p);
    await w.write('a: 1\n');
    assert.equal(fs.readFileSync(p, 'latin1'), 'a: 1\n');
    await w.write(new Uint8Array([0x62, 0x3a, 0x20, 0x32, 0x0a]));
    assert.equal(fs.readFileSync(p, 'latin1'), 'b: 2\n');
    await w.write(async (out) => { await out.write('c: '); await out.write('3\n'); });
    assert.equal(fs.readFileSync(p, 'latin1'), 'c: 3\n');
    w.writeSync('d: 4\n');
    assert.equal(fs.readFileSync(p, 'latin1'), 'd: 4\n');
    assert.deepEqual(temps(t.dir), []);
    assert.ok(fs.existsSync(`${p}.lock`), 'the lock file is kept');
  });

  it('keeps the mode of the file it replaces (a 0600 file stays 0600), and applies `mode` to new files', async () => {
    const p = t.file('secret.yaml');
    fs.writeFileSync(p, 'token: x\n', { mode: 0o600 });
    fs.chmodSync(p, 0o600);
    await new AtomicFileWriter(p).write('token: y\n');
    assert.equal(fs.statSync(p).mode & 0o777, 0o600);
    new AtomicFileWriter(p).writeSync('token: z\n');
    assert.equal(fs.statSync(p).mode & 0o777, 0o600);
    const fresh = t.file('fresh.yaml');
    await new AtomicFileWriter(fresh, undefined, { mode: 0o640 }).write('x\n');
    assert.equal(fs.statSync(fresh).mode & 0o777, 0o640 & ~process.umask());
  });

  it('keeps the owner of the file it replaces when running as root', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const p = t.file('owned.yaml');
    fs.writeFileSync(p, 'x\n');
    fs.chownSync(p, 65534, 65534);
    await new AtomicFileWriter(p).write('y\n');
    const st = fs.statSync(p);
    assert.equal(st.uid, 65534);
    assert.equal(st.gid, 65534);
  });

  it('as root, a set-user-ID or set-group-ID file owned by another user keeps those bits and its owner (chown clears them, so the mode goes after it)', async function () {
    if (process.getuid?.() !== 0) this.skip();
    for (const mode of [0o4755, 0o2750, 0o6711]) {
      const p = t.file(`setid-${mode.toString(8)}`);
      fs.writeFileSync(p, 'x\n');
      fs.chownSync(p, 65534, 65534);
      fs.chmodSync(p, mode);
      await new AtomicFileWriter(p).write('y\n');
      new AtomicFileWriter(p).writeSync('z\n');
      const st = fs.statSync(p);
      assert.equal((st.mode & 0o7777).toString(8), mode.toString(8));
      assert.deepEqual([st.uid, st.gid], [65534, 65534]);
      assert.equal(fs.readFileSync(p, 'latin1'), 'z\n');
    }
  });

  it('writes through a symlink to its target and keeps the link', async () => {
    fs.mkdirSync(t.file('real'));
    const target = t.file('real/config.yaml');
    fs.writeFileSync(target, 'v: 1\n');
    const link = t.file('config.yaml');
    fs.symlinkSync(target, link);
    await new AtomicFileWriter(link).write('v: 2\n');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(target, 'latin1'), 'v: 2\n');
    assert.deepEqual(temps(t.file('real')), []);
  });

  it('a callback that throws leaves the file untouched, removes the temp file, and its error propagates unchanged', async () => {
    const p = t.file('keep.yaml');
    fs.writeFileSync(p, 'original\n');
    const boom = new Error('half way');
    const err = await new AtomicFileWriter(p).write(async (out) => { await out.write('partial'); throw boom; }).catch((e: unknown) => e);
    assert.equal(err, boom);
    assert.equal(fs.readFileSync(p, 'latin1'), 'original\n');
    assert.deepEqual(temps(t.dir), []);
    assert.ok(new FileLock(`${p}.lock`).tryAcquire('exclusive')?.release() === undefined);
  });

  it('many concurrent writers of one file in one process never collide, and the last write wins whole', async () => {
    const p = t.file('many.yaml');
    const writers = Array.from({ length: 20 }, () => new AtomicFileWriter(p, undefined, { durable: false }));
    await Promise.all(writers.map((w, i) => w.write(`writer: ${i}\n`.repeat(100))));
    const text = fs.readFileSync(p, 'latin1');
    assert.match(text, /^(writer: \d+\n)\1{99}$/);
    assert.deepEqual(temps(t.dir), []);
  });

  it('waits for a writer in another process, and fails with ELOCKTIMEOUT without touching the file', async () => {
    const p = t.file('busy.yaml');
    fs.writeFileSync(p, 'before\n');
    const holder = Locker.start(t, `${p}.lock`);
    await holder.send('acquire exclusive');
    await assert.rejects(new AtomicFileWriter(p, undefined, { timeout: 50 }).write('after\n'), { code: 'ELOCKTIMEOUT' });
    assert.equal(fs.readFileSync(p, 'latin1'), 'before\n');
    const pending = new AtomicFileWriter(p).write('after\n');
    await sleep(30);
    await holder.send('release');
    await pending;
    assert.equal(fs.readFileSync(p, 'latin1'), 'after\n');
  });

  it('SafeFileReader reads under the shared lock: it waits for an exclusive holder and shares with readers', async () => {
    const p = t.file('r.yaml');
    fs.writeFileSync(p, 'enabled: yes\nmode: 0755\n');
    const reader = new SafeFileReader(p);
    assert.equal(await reader.read(), 'enabled: yes\nmode: 0755\n');
    assert.deepEqual(await reader.readYaml(), { enabled: true, mode: 493 });
    assert.deepEqual(reader.readYamlSync(), { enabled: true, mode: 493 });
    const holder = Locker.start(t, `${p}.lock`);
    await holder.send('acquire exclusive');
    await assert.rejects(new SafeFileReader(p, undefined, { timeout: 50 }).read(), { code: 'ELOCKTIMEOUT' });
    await holder.send('release');
    await holder.send('acquire shared');
    assert.equal(new SafeFileReader(p, undefined, { timeout: 0 }).readSync().length, 24);
  });

  it('a missing file, a directory, and invalid YAML are errors that name the path', async () => {
    await assert.rejects(new SafeFileReader(t.file('nope.yaml')).read(),
      (e: unknown) => e instanceof FileLockingError && e.code === 'ENOENT' && e.path === t.file('nope.yaml'));
    fs.mkdirSync(t.file('dir.yaml'));
    await assert.rejects(new SafeFileReader(t.file('dir.yaml')).read(), { code: 'EISDIR' });
    await assert.rejects(new AtomicFileWriter(t.file('dir.yaml')).write('x'), (e: unknown) =>
      e instanceof FileLockingError && e.code === 'EISDIR' && e.message.includes(t.file('dir.yaml')));
    fs.writeFileSync(t.file('bad.yaml'), 'a: [1, 2\n');
    await assert.rejects(new SafeFileReader(t.file('bad.yaml')).readYaml(), (e: unknown) =>
      e instanceof FileLockingError && e.code === 'EPARSE' && e.message.includes(t.file('bad.yaml')) && e.cause !== undefined);
    assert.throws(() => new AtomicFileWriter(''), { code: 'EINVALIDPATH' });
    assert.throws(() => new SafeFileReader('a\0b'), { code: 'EINVALIDPATH' });
    await assert.rejects(new AtomicFileWriter(t.file('x')).write(42 as never), TypeError);
  });
});
