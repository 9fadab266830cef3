import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileLockingError, ReadModifyWrite, type UpdateContext, type UpdateOutcome } from '../../lib';
import { FIXTURES_JS, sandbox, sleep } from '../helpers';
import { hasStrace, stringArgs, traced } from '../fixtures/rel_strace';

interface Queue { tasks: { id: number; status: string }[] }

/** What identifies a file's version on disk: bytes, inode, and modification time to the nanosecond. */
function fingerprint(file: string): { bytes: string; ino: bigint; mtimeNs: bigint; ctimeNs: bigint } {
  const st = fs.statSync(file, { bigint: true });
  return { bytes: fs.readFileSync(file, 'latin1'), ino: st.ino, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

describe('ReadModifyWrite.update: a result for the caller, and a way to write nothing', function () {
  this.timeout(60_000);
  const t = sandbox();
  const claim = (q: Queue, op: UpdateContext<Queue>): UpdateOutcome<Queue, Queue['tasks'][number] | null> => {
    const next = q.tasks.find((task) => task.status === 'pending');
    if (next === undefined) return op.skip(null);
    next.status = 'claimed';
    return op.write(q, next);
  };

  it('op.write(data, result): the file gets the data, the caller gets the result', async () => {
    const p = t.file('q.yaml');
    fs.writeFileSync(p, 'tasks:\n- id: 1\n  status: pending\n- id: 2\n  status: pending\n');
    const rmw = new ReadModifyWrite<Queue>(p);
    assert.deepEqual(await rmw.update(claim), { id: 1, status: 'claimed' });
    assert.deepEqual(rmw.updateSync(claim), { id: 2, status: 'claimed' });
    assert.equal(fs.readFileSync(p, 'latin1'), 'tasks:\n- id: 1\n  status: claimed\n- id: 2\n  status: claimed\n');
  });

  it('op.skip(result): the caller gets the result and the file keeps its bytes, inode and mtime', async () => {
    const p = t.file('done.yaml');
    fs.writeFileSync(p, 'tasks:\n- id: 1\n  status: done\n');
    const before = fingerprint(p);
    await sleep(20); // a write now would give a visibly later mtime
    const rmw = new ReadModifyWrite<Queue>(p);
    assert.equal(await rmw.update(claim), null);
    assert.equal(rmw.updateSync(claim), null);
    assert.deepEqual(fingerprint(p), before);
    assert.deepEqual(fs.readdirSync(t.dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file was made');
  });

  it('op.skip() on a missing file with `initial` leaves it missing', async () => {
    const p = t.file('absent.yaml');
    const rmw = new ReadModifyWrite<Queue>(p, undefined, { initial: { tasks: [] } });
    assert.equal(await rmw.update((q, op) => op.skip(q.tasks.length)), 0);
    assert.equal(fs.existsSync(p), false);
    assert.equal(await rmw.update((q, op) => op.write(q, 'made')), 'made');
    assert.equal(fs.readFileSync(p, 'latin1'), 'tasks: []\n');
  });

  it('a function that returns anything but op.write/op.skip is refused and the file is untouched', async () => {
    const p = t.file('bad.yaml');
    fs.writeFileSync(p, 'tasks: []\n');
    const before = fingerprint(p);
    const rmw = new ReadModifyWrite<Queue>(p);
    const wrong = ((q: Queue) => q) as unknown as (q: Queue, op: UpdateContext<Queue>) => UpdateOutcome<Queue, unknown>;
    await assert.rejects(rmw.update(wrong), (e: unknown) => e instanceof TypeError && (e as { code?: string }).code === 'EINVALIDARG');
    assert.throws(() => rmw.updateSync(wrong), TypeError);
    assert.deepEqual(fingerprint(p), before);
    // An error of the function itself propagates unchanged.
    const mine = new Error('mine');
    await assert.rejects(rmw.update(() => { throw mine; }), (e: unknown) => e === mine);
    assert.ok(!(mine instanceof FileLockingError));
  });

  for (const sync of [false, true]) {
    it(`${sync ? 'updateSync' : 'update'} with op.skip makes no write, rename, fsync or temp file (strace)`, async function () {
      if (process.platform !== 'linux' || !hasStrace()) this.skip();
      const p = t.file(`traced-${sync}.yaml`);
      fs.writeFileSync(p, 'tasks:\n- a\n- b\n');
      const run = async (skip: boolean) => traced(t.file('strace.log'),
        ['-e', 'trace=openat,write,pwrite64,writev,fsync,fdatasync,rename,renameat,renameat2'],
        [process.execPath, path.join(FIXTURES_JS, 'rmw_update.js'), JSON.stringify({ file: p, sync, skip })], t.spawn);
      const skipped = await run(true);
      assert.equal(skipped.code, 0);
      assert.deepEqual(JSON.parse(skipped.stdout), { result: 2 });
      const fileCalls = (calls: typeof skipped.calls) => calls.filter((c) =>
        /rename|sync/.test(c.name) || (c.name === 'openat' && stringArgs(c).some((a) => a.endsWith('.tmp'))));
      assert.deepEqual(fileCalls(skipped.calls).map((c) => c.name), [], 'no temp file, rename or fsync');
      const opens = skipped.calls.filter((c) => c.name === 'openat' && stringArgs(c)[0] === p);
      assert.ok(opens.length > 0 && opens.every((c) => !/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(c.args)), 'the data file is opened for reading only');
      // The control: the same child writing does all of that.
      const wrote = await run(false);
      assert.deepEqual(JSON.parse(wrote.stdout), { result: 'a' });
      const names = new Set(fileCalls(wrote.calls).map((c) => c.name));
      assert.ok(names.has('openat') && names.has('fsync') && [...names].some((n) => n.startsWith('rename')), [...names].join());
      assert.equal(fs.readFileSync(p, 'latin1'), 'tasks:\n- b\n');
    });
  }
});
