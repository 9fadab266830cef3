// Type-level tests of the public API: compiled by `npm test` (tsc) and never
// run. A signature change that breaks a line here, or makes a line marked
// "ts-expect-error" compile, fails the build.

import {
  AtomicFileWriter, FileLock, FileLockingError, FileSystemBackend, LockError, LockHandle, ReadModifyWrite,
  RecordLock, SafeFileReader, acquireAll, withLocks, type LockErrorCode, type LockMode, type LockSet, type StorageBackend,
} from '../../lib';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T>(_value: T): void { /* compile-time only */ }
function assertEqual<A, B>(_proof: Equal<A, B>): void { /* compile-time only */ }

export async function fileLockTypes(): Promise<void> {
  const lock = new FileLock('x.lock', { timeout: 1000, waitStrategy: 'poll', pollInterval: 50 });
  assertEqual<Awaited<ReturnType<typeof lock.acquireExclusive<number>>>, number>(true);
  expectType<Promise<number>>(lock.acquireExclusive(() => 1));
  expectType<Promise<string>>(lock.acquireShared(async () => 'a', { timeout: 0, signal: AbortSignal.timeout(1) }));
  expectType<Promise<LockHandle>>(lock.acquire('shared'));
  expectType<LockHandle | null>(lock.tryAcquire('exclusive'));
  expectType<number>(lock.acquireExclusiveSync(() => 2));
  expectType<LockHandle>(lock.acquireSync('exclusive', { timeout: 5 }));
  const handle = await lock.acquire('exclusive');
  expectType<void>(handle.release());
  expectType<LockMode>(handle.mode);
  expectType<number>(handle.waitedMs);
  expectType<Disposable & AsyncDisposable>(handle);
  // @ts-expect-error: modes are 'shared' | 'exclusive'
  await lock.acquire('write');
  // @ts-expect-error: times are numbers of milliseconds
  new FileLock('x.lock', { timeout: '30s' });
  // @ts-expect-error: the sync variants take no signal
  lock.acquireSync('shared', { signal: AbortSignal.abort() });
}

export function errorTypes(err: unknown): void {
  if (err instanceof LockError) {
    expectType<LockErrorCode>(err.code);
    assertEqual<LockErrorCode, 'ELOCKTIMEOUT' | 'ELOCKED' | 'ABORT_ERR' | 'ELOCKHELD' | 'ELOCKFILE'>(true);
    expectType<string>(err.lockFile);
    expectType<LockMode>(err.mode);
    expectType<number>(err.waitedMs);
    expectType<number>(err.holders[0].pid);
  }
  if (err instanceof FileLockingError) {
    expectType<string>(err.code);
    expectType<string>(err.path);
  }
}

export async function fileTypes(): Promise<void> {
  const writer = new AtomicFileWriter('a.yaml', undefined, { durable: false, mode: 0o600, timeout: 10 });
  expectType<Promise<void>>(writer.write('text'));
  expectType<Promise<void>>(writer.write(new Uint8Array(1)));
  expectType<Promise<void>>(writer.write(async (out) => { await out.write('x'); }));
  expectType<void>(writer.writeSync('text'));
  // @ts-expect-error: data is text, bytes or a callback
  await writer.write(42);
  // @ts-expect-error: writeSync takes no callback
  writer.writeSync(async () => undefined);

  const reader = new SafeFileReader('a.yaml');
  expectType<Promise<string>>(reader.read());
  expectType<Promise<{ n: number }>>(reader.readYaml<{ n: number }>());
  expectType<string>(reader.readSync());

  const rmw = new ReadModifyWrite<{ n: number }>('a.yaml', undefined, { initial: { n: 0 } });
  expectType<Promise<{ n: number }>>(rmw.execute((d) => ({ n: d.n + 1 })));
  expectType<Promise<{ n: number }>>(rmw.execute((d) => { d.n++; }));
  expectType<Promise<string>>(rmw.execute(() => 'x', JSON.parse, String));
  expectType<{ n: number }>(rmw.executeSync((d) => d));
  // @ts-expect-error: initial must match the data type
  new ReadModifyWrite<{ n: number }>('a.yaml', undefined, { initial: { n: 'zero' } });

  const store: StorageBackend = new FileSystemBackend('/tmp', { durable: true });
  expectType<Promise<{ a: 1 } | undefined>>(store.read<{ a: 1 }>('k'));
  expectType<Promise<boolean>>(store.delete('k'));
  expectType<Promise<string[]>>(store.list());

  expectType<Promise<LockSet>>(acquireAll([{ lockFile: 'a', mode: 'shared' }]));
  expectType<Promise<number>>(withLocks([{ lockFile: 'a', mode: 'exclusive' }], () => 3));
  expectType<boolean>(new RecordLock(3).tryLock('exclusive', 0, 10));
}
