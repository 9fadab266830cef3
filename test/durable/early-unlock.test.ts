import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES_JS, sandbox } from '../helpers';
import { fdArg, pathOfFd, skipWithoutStrace, traced, type Call } from '../fixtures/rel_strace';

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
