import * as assert from 'node:assert/strict';
import {
  AtomicFileWriter, FileLock, FileSystemBackend, ReadModifyWrite, RecordLock, SafeFileReader, acquireAll, acquireFenced,
  checkLockCoherence,
} from '../lib';
import { sandbox } from './helpers';

// One way to take options: the same mistake gets the same error class and
// code from every public constructor and method.
describe('options: every public constructor and method checks them the same way', () => {
  const t = sandbox();

  const constructors = (): Record<string, (opts: object) => unknown> => ({
    FileLock: (o) => new FileLock(t.file('a.lock'), o),
    AtomicFileWriter: (o) => new AtomicFileWriter(t.file('a'), undefined, o),
    SafeFileReader: (o) => new SafeFileReader(t.file('a'), undefined, o),
    ReadModifyWrite: (o) => new ReadModifyWrite(t.file('a'), undefined, o),
    FileSystemBackend: (o) => new FileSystemBackend(t.dir, o),
  });

  it('an unknown option key (a typo) is refused with EUNKNOWNOPTION, the known keys and the nearest one', () => {
    for (const [name, make] of Object.entries(constructors())) {
      assert.throws(() => make({ timout: 5 }), (err: Error & { code?: string }) => {
        assert.ok(err instanceof TypeError, `${name}: ${String(err)}`);
        assert.equal(err.code, 'EUNKNOWNOPTION', name);
        assert.match(err.message, new RegExp(`^${name}: unknown option "timout" \\(known: .*timeout.*\\)\\. Did you mean "timeout"\\?$`), name);
        return true;
      });
    }
    assert.throws(() => new RecordLock(0, { ofdd: true } as never), { code: 'EUNKNOWNOPTION', message: /Did you mean "ofd"/ });
  });

  it('per-call options are checked too: acquire, write, read, execute, acquireAll, acquireFenced, checkLockCoherence', async () => {
    const lockFile = t.file('b.lock');
    await assert.rejects(new FileLock(lockFile).acquire('shared', { timeoutt: 1 } as never), { code: 'EUNKNOWNOPTION' });
    assert.throws(() => new FileLock(lockFile).acquireSync('shared', { signal: new AbortController().signal } as never), { code: 'EUNKNOWNOPTION' });
    await assert.rejects(new AtomicFileWriter(t.file('b')).write('x', { sigal: undefined } as never), { code: 'EUNKNOWNOPTION' });
    await assert.rejects(new SafeFileReader(t.file('b')).read({ timeout: 5 } as never), { code: 'EUNKNOWNOPTION' });
    await assert.rejects(new ReadModifyWrite(t.file('b'), undefined, { initial: {} }).execute((d) => d, undefined, undefined, { fenced: true } as never),
      { code: 'EUNKNOWNOPTION' });
    await assert.rejects(acquireAll([{ lockFile, mode: 'shared' }], { timeOut: 5 } as never), { code: 'EUNKNOWNOPTION', message: /Did you mean "timeout"/ });
    await assert.rejects(acquireFenced(lockFile, { maxHold: 5 } as never), { code: 'EUNKNOWNOPTION', message: /Did you mean "maxHoldMs"/ });
    await assert.rejects(checkLockCoherence(t.dir, { peer: t.dir } as never), { code: 'EUNKNOWNOPTION' });
    // Nothing was written by the refused calls.
    assert.equal(require('node:fs').existsSync(t.file('b')), false);
  });

  it('a timeout out of range is a RangeError EINVALIDOPTION from every constructor; a wrong type is a TypeError', () => {
    for (const [name, make] of Object.entries(constructors())) {
      assert.throws(() => make({ timeout: -1 }), { name: 'RangeError', code: 'EINVALIDOPTION', message: new RegExp(`^${name}: timeout must be`) }, name);
      assert.throws(() => make({ timeout: '5' }), { name: 'TypeError', code: 'EINVALIDOPTION' }, name);
    }
    assert.throws(() => new AtomicFileWriter(t.file('a'), undefined, { mode: 0o10000 }), { name: 'RangeError', code: 'EINVALIDOPTION', message: /mode must be/ });
    assert.throws(() => new ReadModifyWrite(t.file('a'), undefined, { durable: 'yes' as never }), { code: 'EINVALIDOPTION', message: /durable must be true or false/ });
    assert.throws(() => new AtomicFileWriter(t.file('a'), undefined, { maxHoldMs: -5 }), { name: 'RangeError', code: 'EINVALIDOPTION' });
    assert.throws(() => new FileLock(t.file('a.lock'), { waitStrategy: 'spin' as never }), { code: 'EINVALIDOPTION', message: /"kernel" or "poll"/ });
  });

  it('an empty path, a NUL byte or a non-string is FileLockingError EINVALIDPATH from every constructor', () => {
    const makers: Record<string, (p: unknown) => unknown> = {
      FileLock: (p) => new FileLock(p as string),
      AtomicFileWriter: (p) => new AtomicFileWriter(p as string),
      SafeFileReader: (p) => new SafeFileReader(p as string),
      ReadModifyWrite: (p) => new ReadModifyWrite(p as string),
      FileSystemBackend: (p) => new FileSystemBackend(p as string),
    };
    for (const [name, make] of Object.entries(makers)) {
      for (const bad of ['', 'a\0b', 42]) {
        assert.throws(() => make(bad), { name: 'FileLockingError', code: 'EINVALIDPATH' }, `${name}(${JSON.stringify(bad)})`);
      }
    }
  });
});
