/**
 * file-locking: kernel flock(2)/fcntl(2) locks, durable atomic writes and
 * PyYAML-exact read-modify-write, interoperable with the Python plan's
 * `file_locking.py` on the same files.
 * @packageDocumentation
 */
export { FileLock, LockHandle, type FileLockOptions, type AcquireOptions, type WaitStrategy } from './file-lock';
export { LockError, FileLockingError, type LockErrorCode, type LockMode } from './errors';
export { lockHolders, type LockHolder } from './lock-holders';
export { closeIdleLockFiles } from './lock-registry';
export { acquireAll, acquireAllSync, withLocks, LockSet, type LockRequestSpec } from './lock-set';
export { RecordLock, type RecordLockInfo, type RecordLockOptions } from './record-lock';
export { AtomicFileWriter, AtomicOutput, type AtomicWriteOptions, type AtomicWriteCallOptions, type AtomicWriteCallback } from './atomic-write';
export { acquireFenced, acquireFencedSync, checkFence, readFence, fenceFileOf, FencedHandle, type FencedOptions } from './fencing';
export { SafeFileReader, type SafeReadOptions } from './safe-reader';
export { ReadModifyWrite, type ReadModifyWriteOptions, type Deserializer, type Serializer, type Written } from './read-modify-write';
export { checkLockCoherence, type LockCoherenceOptions, type LockCoherenceReport, type LockCoherenceCheck } from './lock-coherence';
export { FileSystemBackend, type StorageBackend, type FileSystemBackendOptions } from './storage-backend';
export {
  parseYaml, dumpYaml, PYYAML_SCHEMA, YamlDate, YamlDateTime, YamlFloat, YamlTuple, YamlError, YamlParseError, YamlDumpError,
  type YamlDateTimeOptions,
} from './yaml';
