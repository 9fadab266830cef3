import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AtomicFileWriter, FileLockingError, LockError, SafeFileReader } from '../../lib';
import { sh, umount } from '../fixtures/rel_system';
import { badInputSandbox, ORIGINAL, NEW, OPS, assertIntact, assertNoTemp, assertLockFree, fileError, lockFileError, runOp, childFileError } from '../helpers/bad-input';

describe('bad input: a clear error naming the path and cause, the original byte-identical, no temp file left', function () {
  this.timeout(60_000);
  const { t, undo, runChild, seed, requireRoot } = badInputSandbox();

  describe('permissions and mounts (root)', () => {
    it('a read-only directory, as a non-root user (setpriv): writes and updates fail with EACCES naming the file; a shared read still works', async function () {
      requireRoot(this, 'setpriv');
      fs.chmodSync(t.dir, 0o755); // mkdtemp made it 0700; the unprivileged user must reach inside
      const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
      // ro: writable file and lock file (0666) in a directory only root may write: only the temp file's creation fails.
      const ro = t.file('ro');
      fs.mkdirSync(ro, { mode: 0o755 });
      const file = seed(ORIGINAL, 'data.yaml', ro);
      fs.chmodSync(file, 0o666);
      fs.writeFileSync(`${file}.lock`, '');
      fs.chmodSync(`${file}.lock`, 0o666);
      for (const op of [...OPS, 'writeCb']) {
        const r = childFileError(await runChild('setpriv', nobody, { op, file, data: op.startsWith('rmw') ? 'v' : NEW }), file, 'EACCES');
        assert.match(r.message, /directory must be writable/);
        assertIntact(file, ORIGINAL);
        assertNoTemp(ro);
      }
      // ro2: root's 0644 lock file: an exclusive lock cannot even open it, a shared one falls back to read-only.
      const ro2 = t.file('ro2');
      fs.mkdirSync(ro2, { mode: 0o755 });
      const file2 = seed(ORIGINAL, 'data.yaml', ro2);
      fs.writeFileSync(`${file2}.lock`, '', { mode: 0o644 });
      const w = await runChild('setpriv', nobody, { op: 'write', file: file2, data: NEW });
      assert.ok(!w.ok && w.name === 'LockError' && w.code === 'ELOCKFILE' && w.causeCode === 'EACCES' && w.message.includes(`${file2}.lock`), JSON.stringify(w));
      for (const op of ['read', 'readSync', 'readYaml']) {
        const r = await runChild('setpriv', nobody, { op, file: file2 });
        assert.deepEqual(r, { ok: true, result: op === 'readYaml' ? { counter: 41, name: 'original' } : ORIGINAL }, `${op} as nobody`);
      }
      assertIntact(file2, ORIGINAL);
    });

    it('as a non-root user (setpriv), a file the writer may write but not read (mode 0200) is replaced and keeps its mode', async function () {
      // The writer holds the replaced file open through the rename; on Linux
      // that open is O_PATH, which needs no read permission.
      requireRoot(this, 'setpriv');
      fs.chmodSync(t.dir, 0o755);
      const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
      const dir = t.file('wo');
      fs.mkdirSync(dir, { mode: 0o755 });
      fs.chownSync(dir, 65534, 65534);
      for (const op of ['write', 'writeSync', 'writeCb']) {
        const file = seed(ORIGINAL, `${op}.yaml`, dir);
        fs.chownSync(file, 65534, 65534);
        fs.chmodSync(file, 0o200);
        const r = await runChild('setpriv', nobody, { op, file, data: NEW });
        assert.deepEqual(r, { ok: true, result: null }, `${op} as nobody: ${JSON.stringify(r)}`);
        assert.equal(fs.readFileSync(file, 'utf8'), NEW);
        assert.equal(fs.statSync(file).mode & 0o7777, 0o200, 'the mode is kept');
        assertNoTemp(dir);
      }
    });

    it('a read-only mount (EROFS): writes and updates fail naming the file and EROFS; a shared read works on an existing lock file', async function () {
      requireRoot(this, 'mount', 'umount');
      const rw = t.file('rw');
      const ro = t.file('ro');
      fs.mkdirSync(rw);
      fs.mkdirSync(ro);
      seed(ORIGINAL, 'data.yaml', rw);
      fs.writeFileSync(path.join(rw, 'data.yaml.lock'), '');
      seed(ORIGINAL, 'nolock.yaml', rw);
      sh('mount', ['--bind', rw, ro]);
      undo.push(`umount ${ro}`, () => umount(ro));
      sh('mount', ['-o', 'remount,ro,bind', ro]);
      const file = path.join(ro, 'data.yaml');
      assert.throws(() => fs.writeFileSync(path.join(ro, 'probe'), ''), { code: 'EROFS' }, 'the bind mount is not read-only');

      for (const op of OPS) {
        let caught: unknown;
        try { await runOp(op, file, op.startsWith('rmw') ? 'key: v\n' : NEW); } catch (err) { caught = err; }
        // The exclusive lock cannot open its lock file read-write (ELOCKFILE, cause EROFS), or,
        // were it granted, the temp file could not be created (FileLockingError EROFS).
        assert.ok(caught instanceof LockError || caught instanceof FileLockingError, `${op}: ${String(caught)}`);
        const err = caught as Error & { code: string };
        assert.ok(err.code === 'ELOCKFILE' || err.code === 'EROFS', `${op}: ${err.message}`);
        assert.equal((err.cause as { code?: string }).code, 'EROFS', `${op}: ${err.message}`);
        assert.ok(err.message.includes(file), `${op}: the message does not name ${file}: ${err.message}`);
        assertIntact(file, ORIGINAL);
      }
      assert.equal(await new SafeFileReader(file).read(), ORIGINAL);
      assert.equal(new SafeFileReader(file).readSync(), ORIGINAL);
      assert.deepEqual(await new SafeFileReader(file).readYaml(), { counter: 41, name: 'original' });
      assert.deepEqual(fs.readdirSync(rw).sort(), ['data.yaml', 'data.yaml.lock', 'nolock.yaml']);
    });

    it('a reader that finds no lock file and may not create one (EACCES as nobody, EROFS) fails with ELOCKFILE and that cause, not a misleading ENOENT', async function () {
      requireRoot(this, 'setpriv', 'mount', 'umount');
      // Without a lock file there is nothing to lock: a clear error, never a silent unlocked read.
      // The cause must be why the lock file could not be created; the read-only fallback's
      // ENOENT ("create the directory") would send the user the wrong way.
      fs.chmodSync(t.dir, 0o755);
      const ro3 = t.file('ro3');
      fs.mkdirSync(ro3, { mode: 0o755 });
      const file3 = seed(ORIGINAL, 'data.yaml', ro3);
      const r3 = await runChild('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups'], { op: 'read', file: file3 });
      assert.ok(!r3.ok && r3.name === 'LockError' && r3.code === 'ELOCKFILE' && r3.message.includes(`${file3}.lock`), JSON.stringify(r3));
      assert.equal(r3.causeCode, 'EACCES', r3.message);
      assert.deepEqual(fs.readdirSync(ro3), ['data.yaml']);

      const rw = t.file('rw');
      const ro = t.file('ro');
      fs.mkdirSync(rw);
      fs.mkdirSync(ro);
      seed(ORIGINAL, 'nolock.yaml', rw);
      sh('mount', ['--bind', rw, ro]);
      undo.push(`umount ${ro}`, () => umount(ro));
      sh('mount', ['-o', 'remount,ro,bind', ro]);
      const nolock = path.join(ro, 'nolock.yaml');
      await assert.rejects(new SafeFileReader(nolock).read(), lockFileError(`${nolock}.lock`, 'EROFS'));
      assert.throws(() => new SafeFileReader(nolock).readSync(), lockFileError(`${nolock}.lock`, 'EROFS'));
    });

    it('ENOSPC on a 64 KiB tmpfs: a 200 KB write or update fails with ENOSPC naming the file; the temp file is removed and the space given back', async function () {
      requireRoot(this, 'mount', 'umount');
      const tiny = t.file('tiny');
      fs.mkdirSync(tiny);
      sh('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', tiny]);
      undo.push(`umount ${tiny}`, () => umount(tiny));
      const file = seed(ORIGINAL, 'data.yaml', tiny);
      const big = `blob: ${'x'.repeat(200_000)}\n`;
      for (const op of OPS) {
        let caught: unknown;
        try { await runOp(op, file, big); } catch (err) { caught = err; }
        fileError(file, 'ENOSPC', 'ENOSPC')(caught);
        assert.match((caught as Error).message, /Free some space/);
        assertIntact(file, ORIGINAL);
        assertNoTemp(tiny);
        assertLockFree(`${file}.lock`);
      }
      // A callback's own write error is the caller's: it comes back unchanged, and the temp file still goes.
      // (out.write writes its chunk in full or throws: no short count at the full disk.)
      let cbErr: unknown;
      await new AtomicFileWriter(file).write(async (out) => {
        try { await out.write(Buffer.alloc(200_000, 120)); } catch (err) { cbErr = err; throw err; }
      }).then(() => assert.fail('the callback write succeeded'), (err) => assert.equal(err, cbErr));
      assert.equal((cbErr as { code?: string }).code, 'ENOSPC');
      assertIntact(file, ORIGINAL);
      assertNoTemp(tiny);
      // The space is back: a write that fits succeeds.
      await new AtomicFileWriter(file).write(`blob: ${'y'.repeat(30_000)}\n`);
      assert.equal(fs.statSync(file).size, 30_007);
    });
  });
});
