import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES_JS, sandbox } from '../helpers';
import { fdArg, pathOfFd, retNum, skipWithoutStrace, stringArgs, traced, type Call } from '../fixtures/rel_strace';

// One write, traced with strace -f: what reaches the disk, in which order.
// Durable: the temp file is fsync'd before the rename (so the new name never
// points at data still in the page cache), and the directory after it (so the
// rename itself survives a power cut). Non-durable: no fsync at all.

const TRACE = ['-e', 'trace=openat,close,fsync,fdatasync,rename,renameat,renameat2'];
const SYNCS = new Set(['fsync', 'fdatasync']);
const RENAMES = new Set(['rename', 'renameat', 'renameat2']);

describe('durability order, traced with strace', function () {
  this.timeout(60_000);
  const t = sandbox();
  skipWithoutStrace();

  async function trace(op: string, durable: boolean): Promise<{ calls: Call[]; file: string }> {
    const file = t.file('state.yaml');
    fs.writeFileSync(file, 'key: old\n');
    const spec = { op, file, data: op.startsWith('rmw') ? 'new' : 'key: new\n', durable };
    const { calls, stdout } = await traced(t.file('strace.log'), TRACE, [process.execPath, path.join(FIXTURES_JS, 'rel_ops.js'), JSON.stringify(spec)], t.spawn);
    assert.deepEqual(JSON.parse(stdout), { ok: true, result: op.startsWith('rmw') ? { key: 'new' } : null });
    assert.equal(fs.readFileSync(file, 'utf8'), 'key: new\n');
    return { calls, file };
  }

  for (const op of ['write', 'writeCb', 'writeSync', 'rmw', 'rmwSync']) {
    it(`${op}, durable: the temp file's fsync completes before the rename starts, and the directory's fsync starts after the rename completed`, async () => {
      const { calls, file } = await trace(op, true);
      const renames = calls.filter((c) => RENAMES.has(c.name) && stringArgs(c).at(-1) === file);
      assert.equal(renames.length, 1, 'one rename onto the file');
      const rename = renames[0];
      assert.equal(retNum(rename), 0);
      const temp = stringArgs(rename)[0];
      assert.equal(path.dirname(temp), t.dir, 'the temp file is in the same directory');
      assert.match(path.basename(temp), /^\.state\.yaml\.\d+\.[0-9a-f]{12}\.tmp$/);
      const open = calls.find((c) => c.name === 'openat' && stringArgs(c)[0] === temp);
      assert.ok(open && open.args.includes('O_EXCL'), 'the temp file is created with O_EXCL');

      const syncs = calls.filter((c) => SYNCS.has(c.name)).map((c) => ({ call: c, path: pathOfFd(calls, fdArg(c), c) }));
      const tempSyncs = syncs.filter((s) => s.path === temp);
      const dirSyncs = syncs.filter((s) => s.path === t.dir);
      assert.equal(tempSyncs.length, 1, `one fsync of the temp file; fsyncs seen: ${JSON.stringify(syncs.map((s) => s.path))}`);
      assert.equal(dirSyncs.length, 1, `one fsync of the directory; fsyncs seen: ${JSON.stringify(syncs.map((s) => s.path))}`);
      assert.equal(retNum(tempSyncs[0].call), 0);
      assert.ok(tempSyncs[0].call.end < rename.start, 'the temp file was fsync\'d before the rename started');
      assert.ok(dirSyncs[0].call.start > rename.end, 'the directory was fsync\'d after the rename completed');
      assert.equal(syncs.length, 2, 'no other fsync');
    });
  }

  // On CephFS, opening the directory right after the rename, while another
  // client holds capabilities on it, waits for the MDS's next journal flush
  // (up to 5 s); the descriptor opened first is fsync'd without that wait.
  for (const op of ['write', 'writeSync', 'rmw', 'rmwSync']) {
    it(`${op}, durable: the directory fsync'd after the rename was opened before the temp file was created`, async () => {
      const { calls, file } = await trace(op, true);
      const rename = calls.find((c) => RENAMES.has(c.name) && stringArgs(c).at(-1) === file);
      assert.ok(rename, 'one rename onto the file');
      const tempOpen = calls.find((c) => c.name === 'openat' && stringArgs(c)[0] === stringArgs(rename)[0]);
      const dirSync = calls.find((c) => SYNCS.has(c.name) && pathOfFd(calls, fdArg(c), c) === t.dir);
      assert.ok(tempOpen && dirSync, 'the temp file is opened and the directory fsync\'d');
      const dirFd = fdArg(dirSync);
      const dirOpen = calls.filter((c) => c.name === 'openat' && retNum(c) === dirFd && c.end < dirSync.start).at(-1);
      assert.ok(dirOpen, 'the directory\'s descriptor was opened');
      assert.ok(dirOpen.end < tempOpen.start, 'the directory was opened before the temp file');
      assert.ok(!calls.some((c) => c.name === 'openat' && stringArgs(c)[0] === t.dir && c.start > rename.end),
        'the directory is not opened again after the rename');
    });
  }

  // Awaiting fs.fsync twice made two threadpool round trips, each waking the
  // JS thread once more while the lock was held.
  for (const op of ['write', 'writeCb', 'rmw']) {
    it(`${op}, durable: the temp file's fsync, the rename and the directory's fsync are one threadpool job: one thread, not the JS thread`, async () => {
      const { calls, file } = await trace(op, true);
      const rename = calls.find((c) => RENAMES.has(c.name) && stringArgs(c).at(-1) === file);
      assert.ok(rename, 'one rename onto the file');
      const temp = stringArgs(rename)[0];
      // The temp file is created on the JS thread (the small syscalls run there).
      const jsThread = calls.find((c) => c.name === 'openat' && stringArgs(c)[0] === temp)?.tid;
      const syncs = calls.filter((c) => SYNCS.has(c.name));
      const tempSync = syncs.find((c) => pathOfFd(calls, fdArg(c), c) === temp);
      const dirSync = syncs.find((c) => pathOfFd(calls, fdArg(c), c) === t.dir);
      assert.ok(jsThread !== undefined && tempSync && dirSync);
      assert.deepEqual([tempSync.tid, dirSync.tid], [rename.tid, rename.tid], 'fsync, rename and fsync on one thread');
      assert.notEqual(rename.tid, jsThread, 'off the JS thread');
    });
  }

  for (const op of ['write', 'writeSync', 'rmw']) {
    it(`${op}, durable: false: no fsync or fdatasync at all, and still one rename from a temp file`, async () => {
      const { calls, file } = await trace(op, false);
      assert.deepEqual(calls.filter((c) => SYNCS.has(c.name)).map((c) => `${c.name}(${c.args})`), []);
      const renames = calls.filter((c) => RENAMES.has(c.name) && stringArgs(c).at(-1) === file);
      assert.equal(renames.length, 1);
      assert.match(path.basename(stringArgs(renames[0])[0]), /^\.state\.yaml\.\d+\.[0-9a-f]{12}\.tmp$/);
    });
  }

  // On a network file system every metadata call is a round trip to the
  // server: a replacement whose mode and owner are already right changes
  // neither, and finds the file (no symlink) with its pin's one open.
  for (const op of ['write', 'writeSync', 'rmw', 'rmwSync']) {
    it(`${op}: a file whose mode and owner the temp file already has gets no fchmod or fchown, and no lstat of its path`, async () => {
      const file = t.file('state.yaml');
      fs.writeFileSync(file, 'key: old\n');
      fs.chmodSync(file, 0o644 & ~process.umask());
      const spec = { op, file, data: op.startsWith('rmw') ? 'new' : 'key: new\n', durable: true };
      const { calls } = await traced(t.file('strace.log'), ['-e', 'trace=fchmod,fchown,lstat,newfstatat,statx,openat'],
        [process.execPath, path.join(FIXTURES_JS, 'rel_ops.js'), JSON.stringify(spec)], t.spawn);
      assert.equal(fs.readFileSync(file, 'utf8'), 'key: new\n');
      assert.equal((fs.statSync(file).mode & 0o777).toString(8), (0o644 & ~process.umask()).toString(8));
      const changes = calls.filter((c) => c.name === 'fchmod' || c.name === 'fchown');
      assert.deepEqual(changes.map((c) => `${c.name}(${c.args})`), []);
      const lstats = calls.filter((c) => (c.name === 'lstat' || ((c.name === 'newfstatat' || c.name === 'statx') && c.args.includes('AT_SYMLINK_NOFOLLOW')))
        && stringArgs(c).includes(file));
      assert.deepEqual(lstats.map((c) => `${c.name}(${c.args})`), []);
      const opens = calls.filter((c) => c.name === 'openat' && stringArgs(c)[0] === file);
      if (op.startsWith('rmw')) {
        // The read's descriptor is the pin: one open of the file, not through a symlink.
        assert.deepEqual(opens.map((c) => c.args.includes('O_NOFOLLOW') && !c.args.includes('O_PATH')), [true], 'read and pinned by one open');
      } else {
        assert.ok(opens.some((c) => c.args.includes('O_PATH')), 'the file is pinned (O_PATH)');
      }
    });
  }

  it('a file with another mode than the temp file gets it by fchmod, with the umask ignored', async () => {
    const file = t.file('secret.yaml');
    fs.writeFileSync(file, 'key: old\n');
    fs.chmodSync(file, 0o666);
    const spec = { op: 'writeSync', file, data: 'key: new\n', durable: false };
    const { calls } = await traced(t.file('strace.log'), ['-e', 'trace=fchmod'],
      [process.execPath, path.join(FIXTURES_JS, 'rel_ops.js'), JSON.stringify(spec)], t.spawn);
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '666');
    assert.equal(calls.filter((c) => c.name === 'fchmod').length, process.umask() & 0o666 ? 1 : 0);
  });

  // rename(2) over a file frees the replaced inode when nothing else holds it
  // (about 180 µs on ext4 here, most of a small write). The writer holds it
  // open through the rename and lets go only after the lock is released.
  for (const op of ['write', 'writeSync', 'rmw', 'rmwSync']) {
    it(`${op}: the replaced file is held open through the rename and closed only after the lock is released`, async () => {
      const file = t.file('state.yaml');
      fs.writeFileSync(file, 'key: old\n');
      const spec = { op, file, data: op.startsWith('rmw') ? 'new' : 'key: new\n', durable: false };
      const { calls } = await traced(t.file('strace.log'), ['-e', 'trace=openat,close,flock,rename,renameat,renameat2'],
        [process.execPath, path.join(FIXTURES_JS, 'rel_ops.js'), JSON.stringify(spec)], t.spawn);
      assert.equal(fs.readFileSync(file, 'utf8'), 'key: new\n');
      const rename = calls.find((c) => RENAMES.has(c.name) && stringArgs(c).at(-1) === file);
      assert.ok(rename, 'one rename onto the file');
      // A writer pins the file with O_PATH; an update, with the descriptor it read it through.
      const pins = calls.filter((c) => c.name === 'openat' && stringArgs(c)[0] === file && c.end < rename.start);
      assert.equal(pins.length, 1, 'the replaced file is opened once before the rename');
      assert.ok(pins[0].args.includes(op.startsWith('rmw') ? 'O_RDONLY' : 'O_PATH'), pins[0].args);
      const pinFd = retNum(pins[0]);
      const pinClose = calls.find((c) => c.name === 'close' && fdArg(c) === pinFd && c.start > pins[0].end);
      assert.ok(pinClose, 'the pin is closed');
      assert.ok(pinClose.start > rename.end, 'not before the rename completed');
      const unlock = calls.find((c) => c.name === 'flock' && c.args.includes('LOCK_UN') && c.start > rename.end);
      assert.ok(unlock, 'the lock is released after the rename');
      assert.ok(pinClose.start > unlock.end, 'the pin is closed after the lock was released');
    });
  }
});
