import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ReadModifyWrite } from '../../lib';
import { native } from '../../lib/native';
import { FIXTURES_JS, sandbox } from '../helpers';
import { fdArg, pathOfFd, retNum, skipWithoutStrace, stringArgs, traced, type Call } from '../fixtures/rel_strace';

// A durable async write ends in one threadpool job (fsync, rename, fsync of
// the directory). Its lock used to be released only after that job had
// reported back and the JS thread had woken up, while every other process
// waited; now the job gives the kernel lock back itself, right after the
// directory's fsync, whenever the write's own lock is released next anyway.

const TRACE = ['-e', 'trace=openat,close,fsync,fdatasync,rename,renameat,renameat2,flock'];
const SYNCS = new Set(['fsync', 'fdatasync']);

const isUnlock = (c: Call): boolean => c.name === 'flock' && c.args.includes('LOCK_UN');

describe('a durable async write gives its lock back on the commit thread', function () {
  this.timeout(60_000);
  const t = sandbox();
  skipWithoutStrace();

  async function trace(op: string, inject: string[] = []): Promise<{ calls: Call[]; out: Record<string, unknown>; lockFd: number }> {
    const file = t.file('state.yaml');
    fs.writeFileSync(file, 'key: old\n');
    const spec = { op, file, data: op === 'write' || op === 'writeCb' ? 'key: new\n' : 'new', durable: true };
    const { calls, stdout } = await traced(t.file('strace.log'), [...TRACE, ...inject],
      [process.execPath, path.join(FIXTURES_JS, 'rel_ops.js'), JSON.stringify(spec)], t.spawn);
    const lockOpen = calls.find((c) => c.name === 'openat' && c.args.includes(`${file}.lock`));
    assert.ok(lockOpen, 'the lock file is opened');
    return { calls, out: JSON.parse(stdout) as Record<string, unknown>, lockFd: Number(lockOpen.ret.split(' ')[0]) };
  }

  function dirSyncs(calls: Call[]): Call[] {
    return calls.filter((c) => SYNCS.has(c.name) && pathOfFd(calls, fdArg(c), c) === t.dir);
  }

  for (const op of ['write', 'writeCb', 'rmw', 'update']) {
    it(`${op}: one LOCK_UN, made by the thread that fsync'd the directory, right after that fsync`, async () => {
      const { calls, out, lockFd } = await trace(op);
      assert.equal(out.ok, true, JSON.stringify(out));
      assert.match(fs.readFileSync(t.file('state.yaml'), 'utf8'), /new/);
      const [dirSync] = dirSyncs(calls);
      assert.ok(dirSync, 'the directory is fsync\'d');
      const unlocks = calls.filter(isUnlock);
      assert.equal(unlocks.length, 1, `one unlock: ${JSON.stringify(unlocks.map((c) => `${c.tid} flock(${c.args})`))}`);
      assert.equal(fdArg(unlocks[0]), lockFd, 'of the lock file');
      assert.equal(unlocks[0].tid, dirSync.tid, 'on the commit thread');
      assert.ok(unlocks[0].start > dirSync.end, 'after the directory\'s fsync');
      const between = calls.filter((c) => c.tid === dirSync.tid && c.start > dirSync.end && c.end < unlocks[0].start);
      assert.deepEqual(between.map((c) => c.name), [], 'nothing in between');
    });
  }

  /**
   * The descriptors on the file and its directory that are still open when
   * the rename is made (the directory for its fsync, the replaced file's
   * pin), each with the close that ends it.
   */
  function openAtRename(calls: Call[]): Array<{ open: Call; close: Call | undefined }> {
    const rename = calls.find((c) => c.name.startsWith('rename') && stringArgs(c).includes(t.file('state.yaml')));
    assert.ok(rename, 'the file is renamed over');
    const ofInterest = new Set([t.dir, t.file('state.yaml')]);
    const out: Array<{ open: Call; close: Call | undefined }> = [];
    for (const open of calls) {
      if (open.end >= rename.start) break;
      if (open.name !== 'openat' || !ofInterest.has(stringArgs(open)[0]) || retNum(open) < 0) continue;
      const fd = retNum(open);
      const close = calls.find((c) => c.end > open.end && c.name === 'close' && fdArg(c) === fd);
      if (close === undefined || close.end > rename.end) out.push({ open, close });
    }
    return out;
  }

  for (const op of ['write', 'rmw', 'update']) {
    it(`${op}: the directory and the replaced file's descriptors are closed by the commit thread, once, after its unlock`, async () => {
      const { calls, out } = await trace(op);
      assert.equal(out.ok, true, JSON.stringify(out));
      const [dirSync] = dirSyncs(calls);
      const unlock = calls.find(isUnlock);
      assert.ok(dirSync && unlock && unlock.tid === dirSync.tid);
      const held = openAtRename(calls);
      assert.ok(held.some((h) => stringArgs(h.open)[0] === t.dir), 'the directory was open at the rename');
      assert.ok(held.some((h) => stringArgs(h.open)[0] === t.file('state.yaml')), 'the replaced file was pinned at the rename');
      for (const { open, close } of held) {
        const what = `${stringArgs(open)[0]} (fd ${retNum(open)})`;
        assert.ok(close, `${what} is closed`);
        assert.equal(close.tid, dirSync.tid, `${what}: on the commit thread`);
        assert.ok(close.start > unlock.end, `${what}: after the unlock`);
      }
      assert.deepEqual(calls.filter((c) => c.name === 'close' && /EBADF/.test(c.ret)).map((c) => c.args), [], 'no descriptor closed twice');
    });
  }

  it('a commit whose directory fsync fails (EIO) still closes the directory and the pinned file, once', async () => {
    const { calls, out } = await trace('rmw', ['-e', 'inject=fsync:error=EIO:when=2']);
    assert.equal(out.causeCode, 'EIO');
    const [dirSync] = dirSyncs(calls);
    const held = openAtRename(calls);
    assert.ok(held.length >= 2, JSON.stringify(held.map((h) => h.open.args)));
    for (const { open, close } of held) {
      assert.ok(close, `${stringArgs(open)[0]} is closed`);
      assert.equal(close.tid, dirSync.tid, `${stringArgs(open)[0]}: by the commit job`);
    }
    assert.deepEqual(calls.filter((c) => c.name === 'close' && /EBADF/.test(c.ret)).map((c) => c.args), [], 'no descriptor closed twice');
  });

  it('rmw twice at once in one process, then once more: each update unlocks on its commit thread, and the lock is free afterwards', async () => {
    const { calls, out, lockFd } = await trace('rmwTwice');
    assert.deepEqual(out, { ok: true, result: { key: 'new', again: 'new', tookItAfter: true } });
    const syncs = dirSyncs(calls);
    assert.equal(syncs.length, 2, 'two durable commits');
    const unlocks = calls.filter(isUnlock);
    // Two from the commits, one from the tryAcquire's release on the JS thread.
    assert.equal(unlocks.length, 3, JSON.stringify(unlocks.map((c) => `${c.tid} flock(${c.args})`)));
    for (const sync of syncs) {
      assert.ok(unlocks.some((u) => u.tid === sync.tid && u.start > sync.end && fdArg(u) === lockFd), 'an unlock follows each commit on its thread');
    }
  });

  it('a fenced update checks its token right before the rename and unlocks on the JS thread, after the job reported back', async () => {
    const { calls, out } = await trace('rmwFenced');
    assert.equal(out.ok, true, JSON.stringify(out));
    // The last one: the fence file beside it is written durably first.
    const dirSync = dirSyncs(calls).at(-1);
    const unlocks = calls.filter(isUnlock);
    assert.ok(dirSync && unlocks.length === 1);
    assert.notEqual(unlocks[0].tid, dirSync.tid);
    assert.ok(unlocks[0].start > dirSync.end);
  });

  it('a commit whose directory fsync fails (EIO) leaves the unlock to the JS thread, after the error is known', async () => {
    // The commit thread's second fsync is the directory's (strace counts per thread).
    const { calls, out } = await trace('rmw', ['-e', 'inject=fsync:error=EIO:when=2']);
    assert.equal(out.ok, false);
    assert.equal(out.causeCode, 'EIO');
    const [dirSync] = dirSyncs(calls);
    assert.ok(dirSync?.injected, 'the directory\'s fsync failed');
    const unlocks = calls.filter(isUnlock);
    assert.equal(unlocks.length, 1);
    assert.notEqual(unlocks[0].tid, dirSync.tid, 'not on the commit thread');
    assert.ok(unlocks[0].start > dirSync.end);
  });
});

describe('a durable commit that cannot start hands its descriptors back', () => {
  const t = sandbox();

  it('when the commit job is not queued (the native call throws), the update fails with that error, the file keeps its bytes, no temp file stays and no descriptor leaks', async () => {
    // Linux: the open descriptors are listed in /proc/self/fd.
    if (process.platform !== 'linux') return;
    const file = t.file('state.yaml');
    fs.writeFileSync(file, 'key: old\n');
    const rmw = new ReadModifyWrite<{ key: string }>(file);
    await rmw.execute((d) => { d.key = 'warm'; }); // opens the lock file, which stays open
    const before = fs.readdirSync('/proc/self/fd').length;
    const real = native.commitDurable;
    native.commitDurable = () => { throw new Error('not queued'); };
    try {
      await assert.rejects(rmw.execute((d) => { d.key = 'new'; }), (err: Error) => /not queued/.test(String((err as { cause?: unknown }).cause ?? err)));
    } finally {
      native.commitDurable = real;
    }
    // The background close of the pins runs on the threadpool: give it a moment.
    for (let i = 0; i < 50 && fs.readdirSync('/proc/self/fd').length > before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fs.readdirSync('/proc/self/fd').length, before, 'every descriptor of the failed write is closed');
    assert.equal(fs.readFileSync(file, 'utf8'), 'key: warm\n');
    assert.deepEqual(fs.readdirSync(t.dir).filter((n) => n.endsWith('.tmp')), []);
  });
});
