/**
 * A data file and the lock that guards it, as the writer, the reader and the
 * updater all take them: both paths checked before any I/O, the lock file
 * `${filePath}.lock` unless given (the Python plan's protocol), and the
 * lock's timeout 30 s unless given.
 * @internal
 */
import { FileLock, type LockWaitOptions } from '../lock/file-lock';
import { DEFAULT_TIMEOUT_MS, checkPath, checkTimeout } from '../options';

export class LockedFile {
  readonly filePath: string;
  readonly lockFile: string;
  readonly lock: FileLock;

  /** `where` names the public class in error messages. */
  constructor(where: string, filePath: string, lockFile: string | undefined, o: { timeout?: unknown } & LockWaitOptions) {
    checkPath(filePath, where);
    const lf = lockFile ?? `${filePath}.lock`;
    checkPath(lf, `${where} lockFile`);
    this.filePath = filePath;
    this.lockFile = lf;
    this.lock = new FileLock(lf, {
      timeout: checkTimeout(o.timeout ?? DEFAULT_TIMEOUT_MS, where), waitStrategy: o.waitStrategy, pollInterval: o.pollInterval,
    });
  }
}
