// Issue #14, first paragraph: the attacks on the storage backend that must
// keep failing (a key that leads out, a parser bomb, a full disk), each as a
// neighbour sharing the directory would try it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileLock, FileLockingError, FileSystemBackend, closeIdleLockFiles } from '../../lib';
import { sandbox, sleep } from '../helpers';
import { Undo, have, isRoot, sh, umount } from '../fixtures/rel_system';

const refused = (...codes: string[]) => (e: unknown): true => {
  assert.ok(e instanceof FileLockingError, `not a FileLockingError: ${String(e)}`);
  assert.ok(codes.includes(e.code), `${e.code}: ${e.message}`);
  return true;
};

function allFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('FileSystemBackend against hostile keys and documents', () => {
  const undo = new Undo();
  afterEach(() => {
    closeIdleLockFiles();
    undo.run();
  });
  const t = sandbox();
  let root = '';
  let outside = '';
  let store: FileSystemBackend;
  beforeEach(() => {
    root = t.file('root');
    outside = t.file('outside');
    fs.mkdirSync(root);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.yaml'), 'secret: 1\n');
    store = new FileSystemBackend(root);
  });
  afterEach(() => store.close());

  const BAD_KEYS: Array<[string, string]> = [
    ['../x.yaml', 'EOUTSIDE'], ['a/../../x.yaml', 'EOUTSIDE'], ['..', 'EOUTSIDE'], ['/etc/passwd', 'EOUTSIDE'],
    ['.', 'EOUTSIDE'], ['a\0b', 'EINVALIDPATH'], ['', 'EINVALIDPATH'], ['..\\x.yaml', 'EINVALIDPATH'],
    ['a\\..\\..\\x.yaml', 'EINVALIDPATH'], ['out/secret.yaml', 'EOUTSIDE'], ['out-rel/secret.yaml', 'EOUTSIDE'],
    ['up', 'EOUTSIDE'], ['out/new/dir/x.yaml', 'EOUTSIDE'], ['leaf.yaml', 'EOUTSIDE'],
  ];

  function plantLinks(): void {
    fs.symlinkSync(outside, path.join(root, 'out'));
    fs.symlinkSync('../outside', path.join(root, 'out-rel'));
    fs.symlinkSync('..', path.join(root, 'up'));
    fs.symlinkSync(path.join(outside, 'secret.yaml'), path.join(root, 'leaf.yaml'));
  }

  it('every operation refuses keys that lead out (.., absolute, symlinks out, also as the last component) or cannot be keys (NUL, backslash, empty), and creates nothing', async () => {
    plantLinks();
    const before = allFiles(root);
    for (const [key, code] of BAD_KEYS) {
      const isRefused = refused(code);
      await assert.rejects(store.write(key, { a: 1 }), isRefused, `write ${JSON.stringify(key)}`);
      await assert.rejects(store.update<unknown>(key, () => ({ a: 2 }), { initial: {} }), isRefused, `update ${JSON.stringify(key)}`);
      await assert.rejects(store.append(key, { a: 3 }), isRefused, `append ${JSON.stringify(key)}`);
      await assert.rejects(store.read(key), isRefused, `read ${JSON.stringify(key)}`);
      await assert.rejects(store.readLog(key), isRefused, `readLog ${JSON.stringify(key)}`);
      await assert.rejects(store.delete(key), isRefused, `delete ${JSON.stringify(key)}`);
      await assert.rejects(store.exists(key), isRefused, `exists ${JSON.stringify(key)}`);
    }
    for (const prefix of ['out', 'out-rel', 'up', '..', '/tmp']) {
      await assert.rejects(store.list(prefix), refused('EOUTSIDE'), `list ${prefix}`);
    }
    assert.deepEqual(allFiles(outside), ['secret.yaml'], 'something was created outside the root');
    assert.equal(fs.readFileSync(path.join(outside, 'secret.yaml'), 'utf8'), 'secret: 1\n');
    assert.deepEqual(allFiles(root), before, 'something was created inside the root by a refused key');
    assert.equal(fs.existsSync(t.file('x.yaml')), false);
  });

  it('a refusal is a FileLockingError EOUTSIDE naming the key as given and saying why', async () => {
    plantLinks();
    const err = await store.write('out/x.yaml', 1).catch((e: unknown) => e);
    assert.ok(err instanceof FileLockingError);
    assert.equal(err.code, 'EOUTSIDE');
    assert.equal(err.path, 'out/x.yaml');
    assert.match(err.message, /"out\/x\.yaml".*symlink.*outside the root/);
  });

  it('symlinks that stay inside the root keep working: relative, absolute through the root, to a directory and as the last component', async () => {
    fs.mkdirSync(path.join(root, 'real/deep'), { recursive: true });
    fs.symlinkSync('real', path.join(root, 'rel'));
    fs.symlinkSync(path.join(root, 'real'), path.join(root, 'abs'));
    fs.symlinkSync('../real/deep', path.join(root, 'real', 'loop'));
    await store.write('real/deep/v.yaml', { v: 1 });
    fs.symlinkSync('deep/v.yaml', path.join(root, 'real', 'v-link.yaml'));
    assert.deepEqual(await store.read('rel/deep/v.yaml'), { v: 1 });
    assert.deepEqual(await store.read('abs/loop/v.yaml'), { v: 1 });
    await store.write('abs/deep/w.yaml', { w: 2 });
    assert.deepEqual(await store.read('real/deep/w.yaml'), { w: 2 });
    // Writing through a symlinked key replaces its target and keeps the link, as AtomicFileWriter does.
    await store.write('real/v-link.yaml', { v: 3 });
    assert.ok(fs.lstatSync(path.join(root, 'real', 'v-link.yaml')).isSymbolicLink());
    assert.deepEqual(await store.read('real/deep/v.yaml'), { v: 3 });
    assert.deepEqual(await store.update<{ v: number }>('rel/v-link.yaml', (d) => ({ v: d.v + 1 })), { v: 4 });
    assert.deepEqual(await store.list('rel'), ['rel/deep/v.yaml', 'rel/deep/w.yaml'], 'listing does not follow symlinks below the prefix');
    assert.deepEqual(allFiles(outside), ['secret.yaml']);
  });

  it('a directory removed while a write waits for its lock: the write resolves the key again and lands in the new directory', async () => {
    await store.write('d/x.yaml', 1);
    const held = await new FileLock(path.join(root, 'd/x.yaml.lock')).acquire('exclusive');
    const writing = store.write('d/x.yaml', 2);
    await sleep(50); // the write is queued behind `held`, its directory open
    fs.rmSync(path.join(root, 'd'), { recursive: true });
    held.release();
    await writing;
    assert.equal(await store.read('d/x.yaml'), 2);
    assert.deepEqual(allFiles(root).filter((f) => /\.tmp$/.test(f)), []);
  });

  it('a directory removed while an update waits for its lock: the update resolves the key again, starts from initial, and modifyFn runs once', async () => {
    await store.write('u/x.yaml', { n: 1 });
    const held = await new FileLock(path.join(root, 'u/x.yaml.lock')).acquire('exclusive');
    let calls = 0;
    const updating = store.update<{ n: number }>('u/x.yaml', (d) => { calls++; return { n: d.n + 10 }; }, { initial: { n: 0 } });
    await sleep(50);
    fs.rmSync(path.join(root, 'u'), { recursive: true });
    held.release();
    assert.deepEqual(await updating, { n: 10 });
    assert.equal(calls, 1);
    assert.deepEqual(await store.read('u/x.yaml'), { n: 10 });
  });

  it('a missing root is a FileLockingError ENOENT saying the root does not exist, naming it', () => {
    const missing = t.file('no-such-root');
    assert.throws(() => new FileSystemBackend(missing), (e: unknown) => {
      assert.ok(e instanceof FileLockingError, String(e));
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.path, missing);
      assert.match(e.message, /storage root .*no-such-root: the root does not exist/);
      return true;
    });
    fs.writeFileSync(t.file('a-file'), '');
    assert.throws(() => new FileSystemBackend(t.file('a-file')), { code: 'ENOTDIR' });
  });

  it('an alias bomb written by a neighbour parses with shared references and is written back small', async () => {
    let doc = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
    let prev = 'a';
    for (const name of 'bcdefghi') {
      doc += `${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
      prev = name;
    }
    fs.writeFileSync(path.join(root, 'bomb.yaml'), doc);
    const value = await store.read<Record<string, unknown[]>>('bomb.yaml');
    assert.ok(value !== undefined);
    assert.equal(value.i[0], value.i[8], 'aliases are one shared object, not copies');
    assert.equal(value.b[0], value.a);
    await store.write('bomb-copy.yaml', value);
    // 9^9 "lol"s expanded would be gigabytes; with anchors it is under a kilobyte.
    assert.ok(fs.statSync(path.join(root, 'bomb-copy.yaml')).size < 1024, 'the written document was expanded');
    const back = await store.read<Record<string, unknown[]>>('bomb-copy.yaml');
    assert.equal(back?.i[0], back?.i[1]);
  });

  it('100 000-deep nesting is refused: EPARSE naming the file on read and update, ESERIALIZE on write; the process carries on', async () => {
    const file = path.join(root, 'deep.yaml');
    fs.writeFileSync(file, '['.repeat(100_000));
    await assert.rejects(store.read('deep.yaml'), (e: unknown) => refused('EPARSE')(e) && (e as FileLockingError).path === file);
    await assert.rejects(store.update('deep.yaml', (d) => d), refused('EPARSE'));
    assert.equal(fs.readFileSync(file, 'utf8'), '['.repeat(100_000));
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    await assert.rejects(store.write('deep-out.yaml', deep), refused('ESERIALIZE'));
    assert.equal(fs.existsSync(path.join(root, 'deep-out.yaml')), false);
    await store.write('after.yaml', { ok: true });
    assert.deepEqual(await store.read('after.yaml'), { ok: true });
  });

  it('ENOSPC (a 64 KiB tmpfs root): write and update fail with ENOSPC, the original byte-identical, no temp file', async function () {
    if (!isRoot || !have('mount')) this.skip();
    const tiny = t.file('tiny');
    fs.mkdirSync(tiny);
    sh('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', tiny]);
    undo.push(`umount ${tiny}`, () => umount(tiny));
    const small = new FileSystemBackend(tiny);
    try {
      await small.write('d/data.yaml', { counter: 41 });
      const before = fs.readFileSync(path.join(tiny, 'd/data.yaml'));
      const big = { blob: 'x'.repeat(200_000) };
      await assert.rejects(small.write('d/data.yaml', big), refused('ENOSPC'));
      await assert.rejects(small.update('d/data.yaml', () => big), refused('ENOSPC'));
      await assert.rejects(small.append('d/log', big), refused('ENOSPC'));
      assert.deepEqual(fs.readFileSync(path.join(tiny, 'd/data.yaml')), before);
      assert.deepEqual(allFiles(tiny).filter((f) => /\.tmp$/.test(f)), [], 'temp files left');
      assert.deepEqual(await small.readLog('d/log'), [], 'a torn record was left in the log');
    } finally {
      small.close();
    }
  });
});
