import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AtomicFileWriter, FileLockingError, FileSystemBackend, ReadModifyWrite, SafeFileReader } from '../../lib';
import { badInputSandbox, ORIGINAL, NEW, OPS, assertIntact, assertNoTemp, assertLockFree, fileError, lockFileError, runOp } from '../helpers/bad-input';

describe('bad input: a clear error naming the path and cause, the original byte-identical, no temp file left', function () {
  this.timeout(60_000);
  const { t, seed } = badInputSandbox();

  describe('paths', () => {
    it('a missing directory: every operation fails with ELOCKFILE naming the lock file in it, cause ENOENT, and creates nothing', async () => {
      const dir = path.join(t.dir, 'missing');
      const file = path.join(dir, 'data.yaml');
      const lockFile = `${file}.lock`;
      await assert.rejects(new AtomicFileWriter(file).write(NEW), lockFileError(lockFile, 'ENOENT'));
      assert.throws(() => new AtomicFileWriter(file).writeSync(NEW), lockFileError(lockFile, 'ENOENT'));
      await assert.rejects(new ReadModifyWrite(file, undefined, { initial: {} }).execute((d) => d), lockFileError(lockFile, 'ENOENT'));
      await assert.rejects(new SafeFileReader(file).read(), lockFileError(lockFile, 'ENOENT'));
      await assert.rejects(new AtomicFileWriter(file).write(NEW), /Create the directory/);
      assert.equal(fs.existsSync(dir), false);
      assert.deepEqual(fs.readdirSync(t.dir), []);
    });

    it('a missing directory with the lock file elsewhere: a FileLockingError ENOENT naming the file, saying the directory does not exist', async () => {
      const file = path.join(t.dir, 'missing', 'data.yaml');
      const lockFile = t.file('elsewhere.lock');
      await assert.rejects(new AtomicFileWriter(file, lockFile).write(NEW), (err) => fileError(file, 'ENOENT', 'ENOENT')(err) && /directory does not exist/.test((err as Error).message));
      assert.throws(() => new AtomicFileWriter(file, lockFile).writeSync(NEW), fileError(file, 'ENOENT', 'ENOENT'));
      await assert.rejects(new ReadModifyWrite(file, lockFile).execute((d) => d), fileError(file, 'ENOENT', 'ENOENT'));
      await assert.rejects(new ReadModifyWrite(file, lockFile, { initial: {} }).execute((d) => d), fileError(file, 'ENOENT', 'ENOENT'));
      assert.deepEqual(fs.readdirSync(t.dir), ['elsewhere.lock']);
      assertLockFree(lockFile);
    });

    it('the target is a directory: EISDIR naming it, from writers, updates and readers; the directory and its contents stay', async () => {
      const dir = t.file('data.yaml');
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'inside'), 'x');
      await assert.rejects(new AtomicFileWriter(dir).write(NEW), (err) => fileError(dir, 'EISDIR')(err) && /is a directory/.test((err as Error).message));
      assert.throws(() => new AtomicFileWriter(dir).writeSync(NEW), fileError(dir, 'EISDIR'));
      await assert.rejects(new ReadModifyWrite(dir).execute((d) => d), fileError(dir, 'EISDIR', 'EISDIR'));
      assert.throws(() => new ReadModifyWrite(dir).executeSync((d) => d), fileError(dir, 'EISDIR', 'EISDIR'));
      await assert.rejects(new SafeFileReader(dir).read(), fileError(dir, 'EISDIR', 'EISDIR'));
      assert.ok(fs.statSync(dir).isDirectory());
      assert.deepEqual(fs.readdirSync(dir), ['inside']);
      assertNoTemp(t.dir);
      assertLockFree(`${dir}.lock`);
    });

    it('the lock path is a directory: ELOCKFILE naming it, cause EISDIR, for writers, updates and readers; the file is untouched', async () => {
      const file = seed();
      const lockFile = `${file}.lock`;
      fs.mkdirSync(lockFile);
      await assert.rejects(new AtomicFileWriter(file).write(NEW), (err) => lockFileError(lockFile, 'EISDIR')(err) && /lock path is a directory/.test((err as Error).message));
      assert.throws(() => new AtomicFileWriter(file).writeSync(NEW), lockFileError(lockFile, 'EISDIR'));
      await assert.rejects(new ReadModifyWrite(file).execute((d) => d), lockFileError(lockFile, 'EISDIR'));
      await assert.rejects(new SafeFileReader(file).read(), lockFileError(lockFile, 'EISDIR'));
      assert.throws(() => new SafeFileReader(file).readSync(), lockFileError(lockFile, 'EISDIR'));
      assertIntact(file, ORIGINAL);
      assertNoTemp(t.dir);
    });

    it('an empty path or a path containing NUL is refused by every constructor with EINVALIDPATH, before touching the disk', () => {
      const nul = t.file('data\0.yaml');
      for (const make of [
        (p: string) => new AtomicFileWriter(p), (p: string) => new SafeFileReader(p), (p: string) => new ReadModifyWrite(p),
        (p: string) => new AtomicFileWriter(t.file('ok.yaml'), p), (p: string) => new SafeFileReader(t.file('ok.yaml'), p),
        (p: string) => new ReadModifyWrite(t.file('ok.yaml'), p), (p: string) => new FileSystemBackend(p),
      ]) {
        assert.throws(() => make(''), { name: 'FileLockingError', code: 'EINVALIDPATH', message: /path is empty/ });
        assert.throws(() => make(nul), (err) => err instanceof FileLockingError && err.code === 'EINVALIDPATH' &&
          err.path === nul && err.message.includes(JSON.stringify(nul)) && /NUL/.test(err.message));
      }
      assert.throws(() => new FileSystemBackend(t.dir).resolve(''), { code: 'EINVALIDPATH' });
      assert.deepEqual(fs.readdirSync(t.dir), []);
    });

    it('a path too long (a 300-byte name, a 5000-byte path): ELOCKFILE naming it, cause ENAMETOOLONG', async () => {
      const longName = t.file('n'.repeat(300));
      await assert.rejects(new AtomicFileWriter(longName).write(NEW), lockFileError(`${longName}.lock`, 'ENAMETOOLONG'));
      assert.throws(() => new ReadModifyWrite(longName, undefined, { initial: {} }).executeSync((d) => d), lockFileError(`${longName}.lock`, 'ENAMETOOLONG'));
      await assert.rejects(new SafeFileReader(longName).read(), lockFileError(`${longName}.lock`, 'ENAMETOOLONG'));
      const longPath = path.join(t.dir, ...Array.from({ length: 50 }, () => 'd'.repeat(100)), 'data.yaml');
      await assert.rejects(new AtomicFileWriter(longPath).write(NEW), lockFileError(`${longPath}.lock`, 'ENAMETOOLONG'));
      assert.deepEqual(fs.readdirSync(t.dir), []);
    });

    it('a 252-byte name (legal, but its .lock name is not): ELOCKFILE ENAMETOOLONG naming the lock file; the file is untouched', async () => {
      const file = seed(ORIGINAL, 'x'.repeat(252));
      await assert.rejects(new AtomicFileWriter(file).write(NEW), lockFileError(`${file}.lock`, 'ENAMETOOLONG'));
      await assert.rejects(new ReadModifyWrite(file).execute((d) => d), lockFileError(`${file}.lock`, 'ENAMETOOLONG'));
      assertIntact(file, ORIGINAL);
      assertNoTemp(t.dir);
    });

    it('a 250-byte name (legal, and so is its .lock) is written: the temp name is cut short instead of failing with ENAMETOOLONG', async () => {
      for (const name of ['y'.repeat(250), 'é'.repeat(125), `${'z'.repeat(199)}€${'z'.repeat(48)}`]) {
        assert.equal(Buffer.byteLength(name), 250);
        const file = seed(ORIGINAL, name);
        for (const op of [...OPS, 'writeCb']) {
          await runOp(op, file);
          assert.equal(fs.readFileSync(file, 'utf8'), NEW, `${op} on a ${name.length}-character name`);
          fs.writeFileSync(file, ORIGINAL);
        }
        assertNoTemp(t.dir);
      }
    });
  });
});
