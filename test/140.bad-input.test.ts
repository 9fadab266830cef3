import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  AtomicFileWriter, FileLock, FileLockingError, FileSystemBackend, LockError, ReadModifyWrite, SafeFileReader,
  closeIdleLockFiles, dumpYaml, parseYaml,
} from '../lib';
import { FIXTURES_JS, PYTHON, hasPython, sandbox } from './helpers';
import { Undo, have, isRoot, sh, umount } from './fixtures/rel_system';
import { fdArg, hasStrace, pathOfFd, traced, type Call } from './fixtures/rel_strace';

// Every failed write or update: a clear error that names the path and the
// cause, the original file byte for byte as it was, no temp file left, and
// the lock free again.

const ORIGINAL = 'counter: 41\nname: original\n';
const NEW = 'counter: 42\nname: new\n';
const OPS = ['write', 'writeSync', 'rmw', 'rmwSync'] as const;

type Outcome = { ok: true; result: unknown } | {
  ok: false; name: string; code: string; message: string; path?: string; lockFile?: string; causeCode?: string; causeMessage?: string;
};

function assertIntact(file: string, before: string | Buffer): void {
  assert.deepEqual(fs.readFileSync(file), Buffer.from(before), `${file} changed`);
}

function assertNoTemp(dir: string): void {
  assert.deepEqual(fs.readdirSync(dir).filter((n) => /\.tmp$|\.tmp\./.test(n)), [], `temp files left in ${dir}`);
}

function assertLockFree(lockFile: string): void {
  const h = new FileLock(lockFile).tryAcquire('exclusive');
  assert.ok(h, `${lockFile} is still locked`);
  h.release();
}

/** A FileLockingError with this code, naming `file` (field and message), with a cause of `causeCode`. */
function fileError(file: string, code: string, causeCode?: string): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof FileLockingError, `not a FileLockingError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.path, file);
    assert.ok(err.message.includes(file), `the message does not name ${file}: ${err.message}`);
    assert.ok(err.cause !== undefined, 'no cause');
    if (causeCode !== undefined) assert.equal((err.cause as { code?: string }).code, causeCode, err.message);
    return true;
  };
}

/** A LockError ELOCKFILE naming `lockFile`, with a system error `causeCode` as cause. */
function lockFileError(lockFile: string, causeCode: string): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof LockError, `not a LockError: ${String(err)}`);
    assert.equal(err.code, 'ELOCKFILE', err.message);
    assert.equal(err.lockFile, lockFile);
    assert.ok(err.message.includes(lockFile), `the message does not name ${lockFile}: ${err.message}`);
    assert.equal((err.cause as { code?: string }).code, causeCode, err.message);
    return true;
  };
}

/** Runs one operation of rel_ops.js the way each of OPS does, in this process. */
async function runOp(op: string, file: string, data = NEW): Promise<void> {
  if (op === 'write') await new AtomicFileWriter(file).write(data);
  else if (op === 'writeSync') new AtomicFileWriter(file).writeSync(data);
  else if (op === 'writeCb') await new AtomicFileWriter(file).write(async (out) => { await out.write(data); });
  else if (op === 'rmw') await new ReadModifyWrite<Record<string, unknown>>(file).execute(() => parseYaml(data) as Record<string, unknown>);
  else if (op === 'rmwSync') new ReadModifyWrite<Record<string, unknown>>(file).executeSync(() => parseYaml(data) as Record<string, unknown>);
  else throw new Error(op);
}


function childFileError(r: Outcome, file: string, code: string, causeCode = code): Extract<Outcome, { ok: false }> {
  assert.equal(r.ok, false, `the operation succeeded: ${JSON.stringify(r)}`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.name, 'FileLockingError', r.message);
  assert.equal(r.code, code, r.message);
  assert.equal(r.path, file);
  assert.ok(r.message.includes(file), `the message does not name ${file}: ${r.message}`);
  assert.equal(r.causeCode, causeCode, r.message);
  return r;
}

describe('bad input: a clear error naming the path and cause, the original byte-identical, no temp file left', function () {
  this.timeout(60_000);
  const undo = new Undo();
  // Registered before sandbox(): mounts go before the sandbox removes its directory.
  afterEach(() => {
    closeIdleLockFiles(); // the lock registry keeps idle lock files open; a busy mount cannot be unmounted
    undo.run();
  });
  const t = sandbox();

  /** Runs rel_ops.js under `cmd args` (setpriv ...) and returns its outcome. */
  async function runChild(cmd: string, args: string[], spec: Record<string, unknown>): Promise<Outcome> {
    const child = t.spawn(cmd, [...args, process.execPath, path.join(FIXTURES_JS, 'rel_ops.js'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
    await once(child, 'close');
    return JSON.parse(out) as Outcome;
  }

  function seed(text = ORIGINAL, name = 'data.yaml', dir = t.dir): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  function requireRoot(ctx: Mocha.Context, ...cmds: string[]): void {
    if (!isRoot) {
      console.log('      skipped: needs root (mounts, setpriv)');
      ctx.skip();
    }
    const missing = cmds.filter((c) => !have(c));
    if (missing.length > 0) {
      console.log(`      skipped: missing ${missing.join(', ')}`);
      ctx.skip();
    }
  }

  describe('parse, modify and serialize errors', () => {
    it('invalid YAML: execute and executeSync fail with EPARSE naming the file, the parser error as cause, and modifyFn is never called', async () => {
      const bad = 'counter: [1, 2\nname: x\n';
      const file = seed(bad);
      let called = 0;
      const rmw = new ReadModifyWrite(file);
      await assert.rejects(rmw.execute(() => { called++; }), fileError(file, 'EPARSE'));
      assert.throws(() => rmw.executeSync(() => { called++; }), fileError(file, 'EPARSE'));
      await assert.rejects(rmw.execute(() => { called++; }), (err: FileLockingError) => /line \d+|column \d+/.test(String((err.cause as Error).message)));
      assert.equal(called, 0);
      assertIntact(file, bad);
      assertNoTemp(t.dir);
      assertLockFree(`${file}.lock`);
    });

    it('invalid YAML: SafeFileReader.readYaml and readYamlSync fail with EPARSE naming the file; read() still returns the text', async () => {
      const bad = 'a: "unterminated\n';
      const file = seed(bad);
      const reader = new SafeFileReader(file);
      await assert.rejects(reader.readYaml(), fileError(file, 'EPARSE'));
      assert.throws(() => reader.readYamlSync(), fileError(file, 'EPARSE'));
      assert.equal(await reader.read(), bad);
      assertLockFree(`${file}.lock`);
    });

    it('modifyFn throws: the very same error object propagates (execute, executeSync, async modifyFn), unwrapped', async () => {
      const file = seed();
      const rmw = new ReadModifyWrite(file);
      const boom = new RangeError('boom');
      await assert.rejects(rmw.execute(() => { throw boom; }), (err) => err === boom);
      await assert.rejects(rmw.execute(async () => { await Promise.resolve(); throw boom; }), (err) => err === boom);
      assert.throws(() => rmw.executeSync(() => { throw boom; }), (err) => err === boom);
      const notAnError = { reason: 'thrown object' };
      await assert.rejects(rmw.execute(() => { throw notAnError; }), (err) => err === notAnError);
      assertIntact(file, ORIGINAL);
      assertNoTemp(t.dir);
      assertLockFree(`${file}.lock`);
    });

    it('the serializer throws: ESERIALIZE naming the file, with the thrown error as cause', async () => {
      const file = seed();
      const rmw = new ReadModifyWrite(file);
      const boom = new Error('serializer broke');
      const bad = (): string => { throw boom; };
      await assert.rejects(rmw.execute((d) => d, undefined, bad), (err) => fileError(file, 'ESERIALIZE')(err) && (err as Error).cause === boom);
      assert.throws(() => rmw.executeSync((d) => d, undefined, bad), (err) => fileError(file, 'ESERIALIZE')(err) && (err as Error).cause === boom);
      // A serializer returning neither a string nor bytes is caught too.
      await assert.rejects(rmw.execute((d) => d, undefined, () => 42 as unknown as string), fileError(file, 'ESERIALIZE'));
      assertIntact(file, ORIGINAL);
      assertNoTemp(t.dir);
      assertLockFree(`${file}.lock`);
    });

    it('a value that cannot be serialized (a function, a symbol): ESERIALIZE naming the file; the cause says what and where', async () => {
      const file = seed();
      const rmw = new ReadModifyWrite<Record<string, unknown>>(file);
      await assert.rejects(rmw.execute((d) => ({ ...d, callback: () => 1 })),
        (err) => fileError(file, 'ESERIALIZE')(err) && /function.*callback/.test((err as Error).message));
      assert.throws(() => rmw.executeSync((d) => ({ ...d, nested: { list: [1, Symbol('s')] } })),
        (err) => fileError(file, 'ESERIALIZE')(err) && /symbol/.test((err as Error).message));
      // The storage backend says the same.
      const backend = new FileSystemBackend(t.dir);
      await assert.rejects(backend.write('data.yaml', { f: () => 1 }), fileError(file, 'ESERIALIZE'));
      assertIntact(file, ORIGINAL);
      assertNoTemp(t.dir);
      assertLockFree(`${file}.lock`);
    });

    it('AtomicFileWriter given data that is neither text, bytes nor a function: a TypeError saying what data must be, nothing written', async () => {
      const file = seed();
      const writer = new AtomicFileWriter(file);
      await assert.rejects(writer.write({ counter: 1 } as unknown as string), { name: 'TypeError', message: /data must be a string or a Uint8Array/ });
      assert.throws(() => writer.writeSync(null as unknown as string), { name: 'TypeError', message: /got null/ });
      assertIntact(file, ORIGINAL);
      assertNoTemp(t.dir);
    });

    it('a cycle is serializable, as in PyYAML: written with an anchor and an alias, it reads back as the same cycle', async () => {
      const file = seed();
      const written = await new ReadModifyWrite<Record<string, unknown>>(file).execute((d) => {
        const node: Record<string, unknown> = { name: 'loop' };
        node.self = node;
        return { ...d, node };
      }) as Record<string, unknown>;
      const text = fs.readFileSync(file, 'utf8');
      assert.equal(text, 'counter: 41\nname: original\nnode: &id001\n  name: loop\n  self: *id001\n');
      assert.equal(text, dumpYaml(written));
      const back = await new SafeFileReader(file).readYaml<{ node: { self: unknown } }>();
      assert.equal(back.node.self, back.node, 'the alias reads back as the same object');
      if (hasPython(true)) {
        const py = spawnSync(PYTHON, ['-c', 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(d["node"]["self"] is d["node"]); sys.stdout.write(yaml.dump(d, default_flow_style=False))', file], { encoding: 'utf8' });
        assert.equal(py.stdout, `True\n${text}`, py.stderr);
      }
      assertNoTemp(t.dir);
    });
  });

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

  describe('faults injected with strace', () => {
    before(function () {
      if (process.platform !== 'linux' || !hasStrace()) {
        console.log('      skipped: strace is not available');
        this.skip();
      }
    });

    async function injected(inject: string[], op: string, file: string): Promise<{ r: Outcome; calls: Call[] }> {
      const spec = { op, file, data: op.startsWith('rmw') ? 'new' : NEW };
      const log = t.file('strace.log');
      const { calls, stdout } = await traced(log, inject, [process.execPath, path.join(FIXTURES_JS, 'rel_ops.js'), JSON.stringify(spec)], t.spawn);
      fs.unlinkSync(log);
      return { r: JSON.parse(stdout) as Outcome, calls };
    }

    for (const op of [...OPS, 'writeCb']) {
      it(`EIO on the temp file's fsync (${op}): EIO naming the file, original intact, temp file removed`, async () => {
        const file = seed();
        // Every fsync fails; the temp file's is the first one, and the write stops there.
        const { r, calls } = await injected(['-e', 'trace=openat,close,fsync,fdatasync,rename,unlink', '-e', 'inject=fsync,fdatasync:error=EIO'], op, file);
        const err = childFileError(r, file, 'EIO');
        assert.match(err.message, /left as it was/);
        const hits = calls.filter((c) => c.injected);
        assert.equal(hits.length, 1, 'one injected fault');
        assert.match(path.basename(pathOfFd(calls, fdArg(hits[0]), hits[0]) ?? ''), /^\.data\.yaml\.\d+\.[0-9a-f]{12}\.tmp$/, 'the fault hit the temp file');
        assertIntact(file, ORIGINAL);
        assertNoTemp(t.dir);
      });
    }

    for (const op of ['write', 'writeSync', 'rmw']) {
      it(`EIO on the directory's fsync after the rename (${op}): EIO naming the file, and the message says the new contents are in place but not durable`, async () => {
        const file = seed();
        // -P aims the fault at the directory: only its fsync is traced and tampered with.
        const { r, calls } = await injected(['-P', t.dir, '-e', 'trace=fsync,fdatasync', '-e', 'inject=fsync,fdatasync:error=EIO'], op, file);
        const err = childFileError(r, file, 'EIO');
        assert.match(err.message, /new contents are in place but may not survive a crash/);
        assert.doesNotMatch(err.message, /left as it was/);
        assert.equal(calls.filter((c) => c.injected).length, 1);
        assert.equal(fs.readFileSync(file, 'utf8'), op.startsWith('rmw') ? 'counter: 41\nkey: new\nname: original\n' : NEW);
        assertNoTemp(t.dir);
      });
    }

    for (const op of [...OPS, 'writeCb']) {
      it(`EXDEV on the rename (${op}): EXDEV naming the file, original intact, temp file removed`, async () => {
        const file = seed();
        const { r, calls } = await injected(['-e', 'trace=rename,renameat,renameat2,unlink', '-e', 'inject=rename,renameat,renameat2:error=EXDEV'], op, file);
        childFileError(r, file, 'EXDEV');
        const hits = calls.filter((c) => c.injected);
        assert.equal(hits.length, 1, 'one injected fault');
        assert.ok(calls.some((c) => c.name === 'unlink' && c.start > hits[0].end), 'the temp file was unlinked after the failed rename');
        assertIntact(file, ORIGINAL);
        assertNoTemp(t.dir);
      });
    }
  });
});
