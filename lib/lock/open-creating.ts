/**
 * Opening a lock file that may not exist yet (O_CREAT without O_EXCL) on
 * any file system: FileLock's, acquireAll's ordering, the CLI's.
 * @internal
 */
import { isErrno } from '../errors';

/** Opens made in a row before an EEXIST is taken for an answer. */
const ATTEMPTS = 5;

/**
 * `open()` (an open with O_CREAT and without O_EXCL), again when it fails
 * with EEXIST. POSIX says such an open never does, but a network file
 * system's client can: on GlusterFS, when two hosts create the same lock
 * file at once, the loser's create reports EEXIST instead of opening the
 * file the winner made. The file exists by then, so opening again finds it.
 */
export function openCreating(open: () => number): number {
  for (let attempt = 1; ; attempt++) {
    try {
      return open();
    } catch (err) {
      if (attempt >= ATTEMPTS || !isErrno(err, 'EEXIST')) throw err;
    }
  }
}
