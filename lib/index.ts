/**
 * file-locking: kernel flock(2)/fcntl(2) locks, durable atomic writes and
 * PyYAML-exact read-modify-write, interoperable with the Python plan's
 * `file_locking.py` on the same files.
 *
 * The rooms: `lock/` (kernel locks and the in-process registry), `durable/`
 * (atomic writes, locked reads, updates, fencing), `yaml/` (the PyYAML port);
 * beside them the storage backend, the CLI, and the shared `errors` and
 * `options` modules.
 * @packageDocumentation
 */
export { FileLock, LockHandle, type FileLockOptions, type AcquireOptions, type WaitStrategy, type LockWaitOptions } from './lock/file-lock';
export {
  LockError, FileLockingError, type LockErrorCode, type FileLockingErrorCode, type FileLockingOwnCode, type SystemErrorCode,
  type LockMode, type LockHolder,
} from './errors';
export { lockHolders } from './lock/holders';
export { closeIdleLockFiles } from './lock/entry-table';
export { acquireAll, acquireAllSync, withLocks, LockSet, type LockRequestSpec } from './lock/lock-set';
export { RecordLock, type RecordLockInfo, type RecordLockOptions } from './lock/record-lock';
export { checkLockCoherence, type LockCoherenceOptions, type LockCoherenceReport, type LockCoherenceCheck } from './lock/coherence';
export { AtomicFileWriter, type AtomicWriteOptions, type AtomicWriteCallOptions } from './durable/atomic-file-writer';
export { AtomicOutput, type AtomicWriteCallback } from './durable/pending-file';
export { acquireFenced, acquireFencedSync, checkFence, readFence, fenceFileOf, FencedHandle, type FencedOptions } from './durable/fencing';
export { SafeFileReader, type SafeReadOptions } from './durable/safe-file-reader';
export {
  ReadModifyWrite, type ReadModifyWriteOptions, type Deserializer, type Serializer, type Written, type UpdateContext, type UpdateOutcome,
  type UpdateOptions, type NoInference,
} from './durable/read-modify-write';
export { FileSystemBackend, type StorageBackend, type FileSystemBackendOptions } from './storage/backend';
export {
  parseYaml, dumpYaml, PYYAML_SCHEMA, YamlDate, YamlDateTime, YamlFloat, YamlTuple, YamlError, YamlParseError, YamlDumpError,
  type YamlDateTimeOptions,
} from './yaml';
