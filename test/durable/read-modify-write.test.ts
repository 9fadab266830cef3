import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { FileLock, FileLockingError, ReadModifyWrite } from '../../lib';
import { sandbox, sleep } from '../helpers';

describe('ReadModifyWrite', () => {
  const t = sandbox();

  it('reads YAML, applies modifyFn, writes PyYAML-style YAML and returns what it wrote', async () => {
    const p = t.file('q.yaml');
    fs.writeFileSync(p, 'count: 1\ntasks: []\n');
    const rmw = new ReadModifyWrite<{ count: number; tasks: unknown[] }>(p);
    const out = await rmw.execute(async (d) => { await sleep(1); return { ...d, count: d.count + 1, tasks: ['a'] }; });
    assert.deepEqual(out, { count: 2, tasks: ['a'] });
    assert.equal(fs.readFileSync(p, 'latin1'), 'count: 2\ntasks:\n- a\n');
  });

  // An update reads its file through a descriptor that stays open as the
  // replaced file's pin (never through a symlink); a symlink is read through
  // and its target replaced, the link kept.
  it('an update through a symlink reads and replaces its target and keeps the link, async and sync', async () => {
    fs.mkdirSync(t.file('real'));
    const target = t.file('real/state.yaml');
    fs.writeFileSync(target, 'n: 1\n');
    fs.chmodSync(target, 0o600);
    const link = t.file('state.yaml');
    fs.symlinkSync(target, link);
    const rmw = new ReadModifyWrite<{ n: number }>(link);
    await rmw.execute((d) => { d.n += 1; });
    rmw.executeSync((d) => { d.n += 1; });
    assert.equal(await rmw.update((d, op) => op.write({ n: d.n + 1 }, d.n)), 3);
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(target, 'latin1'), 'n: 4\n');
    assert.equal((fs.statSync(target).mode & 0o777).toString(8), '600');
    assert.deepEqual(fs.readdirSync(t.file('real')).sort(), ['state.yaml']);
  });

  it('keeps the data a modifyFn changed in place when it returns nothing', async () => {
    const p = t.file('inplace.yaml');
    fs.writeFileSync(p, 'n: 1\n');
    const rmw = new ReadModifyWrite<{ n: number }>(p);
    await rmw.execute((d) => { d.n += 10; });
    rmw.executeSync((d) => { d.n += 100; });
    assert.equal(fs.readFileSync(p, 'latin1'), 'n: 111\n');
  });

  it('a missing file is an ENOENT error unless an initial value is given, which is copied, not shared', async () => {
    const p = t.file('new.yaml');
    await assert.rejects(new ReadModifyWrite(p).execute((d) => d), (e: unknown) =>
      e instanceof FileLockingError && e.code === 'ENOENT' && /initial/.test(e.message));
    assert.equal(fs.existsSync(p), false);
    const initial = { items: [] as number[] };
    const rmw = new ReadModifyWrite<typeof initial>(p, undefined, { initial });
    await rmw.execute((d) => { d.items.push(1); });
    assert.deepEqual(initial.items, [], 'the initial value was mutated');
    assert.equal(fs.readFileSync(p, 'latin1'), 'items:\n- 1\n');
  });

  it('custom deserializer and serializer, e.g. JSON, are used as given', async () => {
    const p = t.file('c.json');
    fs.writeFileSync(p, '{"n":1}');
    const rmw = new ReadModifyWrite<{ n: number }>(p);
    await rmw.execute((d) => ({ n: d.n + 1 }), JSON.parse, (d) => JSON.stringify(d));
    assert.equal(fs.readFileSync(p, 'latin1'), '{"n":2}');
  });

  it('a throwing modifyFn propagates unchanged and leaves the file and lock as they were', async () => {
    const p = t.file('x.yaml');
    fs.writeFileSync(p, 'keep: me\n');
    const boom = Object.assign(new Error('io'), { code: 'EIO' });
    const err = await new ReadModifyWrite(p).execute(() => { throw boom; }).catch((e: unknown) => e);
    assert.equal(err, boom);
    assert.equal(fs.readFileSync(p, 'latin1'), 'keep: me\n');
    const h = new FileLock(`${p}.lock`).tryAcquire('exclusive');
    assert.ok(h);
    h.release();
    assert.throws(() => new ReadModifyWrite(p).executeSync(() => Promise.resolve(1) as never), /use execute\(\)/);
    assert.equal(fs.readFileSync(p, 'latin1'), 'keep: me\n');
  });

  it('parse and serialize failures name the path, keep the original error as cause, and change nothing', async () => {
    const p = t.file('bad.yaml');
    fs.writeFileSync(p, 'a: "unterminated\n');
    await assert.rejects(new ReadModifyWrite(p).execute((d) => d), (e: unknown) =>
      e instanceof FileLockingError && e.code === 'EPARSE' && e.path === p && e.cause instanceof Error);
    fs.writeFileSync(p, 'a: 1\n');
    const cause = new Error('no');
    await assert.rejects(new ReadModifyWrite(p).execute((d) => d, undefined, () => { throw cause; }), (e: unknown) =>
      e instanceof FileLockingError && e.code === 'ESERIALIZE' && e.cause === cause && e.message.includes(p));
    await assert.rejects(new ReadModifyWrite(p).execute(() => ({ f: () => 1 })), { code: 'ESERIALIZE' });
    assert.equal(fs.readFileSync(p, 'latin1'), 'a: 1\n');
    assert.deepEqual(fs.readdirSync(t.dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('100 concurrent updates from one process over several instances lose nothing', async () => {
    const p = t.file('n.yaml');
    fs.writeFileSync(p, 'n: 0\n');
    await Promise.all(Array.from({ length: 100 }, (_, i) =>
      new ReadModifyWrite<{ n: number }>(p, undefined, { durable: i % 2 === 0 }).execute(async (d) => { await sleep(0); d.n++; })));
    assert.equal(fs.readFileSync(p, 'latin1'), 'n: 100\n');
  });
});
