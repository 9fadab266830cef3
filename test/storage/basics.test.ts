import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileLockingError, FileSystemBackend } from '../../lib';
import { sandbox } from '../helpers';

describe('FileSystemBackend', () => {
  const t = sandbox();

  it('writes, reads, updates, lists and deletes YAML values by relative key, keeping lock files', async () => {
    const store = new FileSystemBackend(t.dir);
    assert.equal(await store.read('tasks/1.yaml'), undefined);
    await store.write('tasks/1.yaml', { id: 1, status: 'pending' });
    assert.deepEqual(await store.read('tasks/1.yaml'), { id: 1, status: 'pending' });
    assert.equal(await store.exists('tasks/1.yaml'), true);
    const updated = await store.update<{ id: number; status: string }>('tasks/1.yaml', (d) => ({ ...d, status: 'done' }));
    assert.equal(updated.status, 'done');
    await store.update<{ n: number }>('counters.yaml', (d) => ({ n: d.n + 1 }), { initial: { n: 0 } });
    fs.writeFileSync(t.file('counters.yaml.lock.fence'), '3\n');
    assert.deepEqual(await store.list(), ['counters.yaml', 'tasks/1.yaml'], 'lock and fence files are not keys');
    assert.deepEqual(await store.list('tasks'), ['tasks/1.yaml']);
    assert.equal(await store.delete('tasks/1.yaml'), true);
    assert.equal(await store.delete('tasks/1.yaml'), false);
    assert.equal(await store.exists('tasks/1.yaml'), false);
    assert.ok(fs.existsSync(t.file('tasks/1.yaml.lock')), 'delete keeps the lock file');
  });

  it('appends one JSON line per record and reads them back, skipping a record torn by a crash', async () => {
    const store = new FileSystemBackend(t.dir);
    assert.deepEqual(await store.readLog('events.log'), []);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append('events.log', { i, kind: 'claimed' })));
    fs.appendFileSync(t.file('events.log'), '{"i": 50, "kin');
    const records = await store.readLog<{ i: number }>('events.log');
    assert.equal(records.length, 50);
    assert.deepEqual(records.map((r) => r.i).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    await assert.rejects(store.append('events.log', undefined), { code: 'ESERIALIZE' });
  });

  it('refuses keys that resolve outside the root (.., absolute, symlink out) and creates nothing', async () => {
    const root = t.file('root');
    fs.mkdirSync(root);
    fs.mkdirSync(t.file('outside'));
    fs.symlinkSync(t.file('outside'), path.join(root, 'escape'));
    const store = new FileSystemBackend(root);
    for (const key of ['../x.yaml', '/etc/passwd', 'a/../../x.yaml', 'escape/x.yaml', 'escape/new/dir/x.yaml', '', 'a\0b']) {
      await assert.rejects(store.write(key, 1), (e: unknown) => e instanceof FileLockingError &&
        (e.code === 'EOUTSIDE' || e.code === 'EINVALIDPATH'), key);
    }
    await assert.rejects(store.update('../y.yaml', (d) => d, { initial: {} }), { code: 'EOUTSIDE' });
    await assert.rejects(store.append('escape/log', { a: 1 }), { code: 'EOUTSIDE' });
    assert.deepEqual(fs.readdirSync(t.file('outside')), []);
    assert.equal(fs.existsSync(t.file('x.yaml')), false);
    assert.equal(fs.existsSync(path.join(root, 'a')), false);
  });
});
