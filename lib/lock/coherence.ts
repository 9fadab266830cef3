import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { native } from '../native';
import { checkOptions, checkTimeout } from '../options';

const { LOCK_EX, LOCK_NB, LOCK_UN } = native.constants;

/** Options of {@link checkLockCoherence}. */
export interface LockCoherenceOptions {
  /**
   * The same directory through another mount (another client of a network
   * file system, another bind mount): also checks that a lock taken through
   * `dir` is seen through `peerDir`, which is what processes on several
   * machines rely on.
   */
  peerDir?: string;
  /** How long each probe child may take, in ms. Default 10 000. */
  timeout?: number;
}

/** One probe of {@link checkLockCoherence}. */
export interface LockCoherenceCheck {
  /** What was checked. */
  name: string;
  /** What a coherent file system does: `'blocked'` while held, `'acquired'` once released. */
  expected: 'blocked' | 'acquired';
  /** What happened; `'error'` with `error` set when the probe itself failed. */
  observed: 'blocked' | 'acquired' | 'error';
  /** Whether `observed` is `expected`. */
  ok: boolean;
  /** The probe's error, if any. */
  error?: string;
}

/** The answer of {@link checkLockCoherence}. */
export interface LockCoherenceReport {
  /** True when every check behaved as locks must for this package's guarantees to hold. */
  coherent: boolean;
  /** The directory checked (resolved). */
  dir: string;
  /** The peer directory, if one was given (resolved). */
  peerDir?: string;
  /** Each probe and its outcome. */
  details: LockCoherenceCheck[];
}

const CHILD = `
const fs = require('node:fs');
const { native } = require(process.argv[1]);
const fd = fs.openSync(process.argv[2], fs.constants.O_RDWR);
const { LOCK_EX, LOCK_NB } = native.constants;
process.stdout.write(native.flock(fd, LOCK_EX | LOCK_NB) ? 'acquired' : 'blocked');
`;

/** Another process tries an exclusive, non-blocking flock on `file`. */
function probeFromChild(file: string, timeout: number): Promise<{ observed: 'blocked' | 'acquired' | 'error'; error?: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', CHILD, require.resolve('../native'), file], { timeout, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) return resolve({ observed: 'error', error: `${err.message.split('\n')[0]} ${String(stderr).trim().split('\n').pop() ?? ''}`.trim() });
      const out = stdout.trim();
      resolve(out === 'blocked' || out === 'acquired' ? { observed: out } : { observed: 'error', error: `unexpected probe output ${JSON.stringify(out)}` });
    });
  });
}

/**
 * Checks, by experiment, whether this package's locks mean anything in `dir`:
 * takes an exclusive flock on a probe file there, and has a child process try
 * to take it too, directly and (with `peerDir`) through the other mount. On a
 * coherent file system the child is refused while the lock is held and
 * succeeds once it is released. Local disks and GlusterFS are coherent
 * (measured: see the README, "Several machines"); two bindfs mounts of one
 * directory, or NFS mounted `nolock`, are not: each mount has its own locks,
 * and processes using different mounts would overwrite each other's updates.
 *
 * Run it once at startup on a directory shared between machines, with
 * `peerDir` where you can reach the same directory through a second mount.
 * Leaves nothing behind (the probe file is removed). Takes tens of ms.
 */
export async function checkLockCoherence(dir: string, options: LockCoherenceOptions = {}): Promise<LockCoherenceReport> {
  checkOptions('checkLockCoherence', options, ['peerDir', 'timeout']);
  const timeout = checkTimeout(options.timeout ?? 10_000, 'checkLockCoherence');
  const base = path.resolve(dir);
  const peer = options.peerDir === undefined ? undefined : path.resolve(options.peerDir);
  const name = `.file-locking-coherence.${process.pid}.${randomBytes(6).toString('hex')}.lock`;
  const file = path.join(base, name);
  const details: LockCoherenceCheck[] = [];
  const record = (check: Omit<LockCoherenceCheck, 'ok'>): void => { details.push({ ...check, ok: check.observed === check.expected }); };

  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  let fd2 = -1;
  try {
    if (!native.flock(fd, LOCK_EX | LOCK_NB)) throw new Error(`could not lock the fresh probe file ${file}`);
    // Two open file descriptions in this process: flock(2) semantics.
    fd2 = fs.openSync(file, fs.constants.O_RDWR);
    let second: 'blocked' | 'acquired' | 'error';
    let secondError: string | undefined;
    try {
      second = native.flock(fd2, LOCK_EX | LOCK_NB) ? 'acquired' : 'blocked';
    } catch (err) {
      second = 'error';
      secondError = (err as Error).message;
    }
    record({ name: 'a second open file description in this process, same path, while held', expected: 'blocked', observed: second, error: secondError });
    record({ name: 'another process, same path, while held', expected: 'blocked', ...await probeFromChild(file, timeout) });
    const peerFile = peer === undefined ? undefined : path.join(peer, name);
    if (peerFile !== undefined) {
      if (!fs.existsSync(peerFile)) {
        record({ name: 'the probe file is visible through peerDir', expected: 'acquired', observed: 'error', error: `${peerFile} does not exist: peerDir is not the same directory` });
      } else {
        record({ name: 'another process, through peerDir, while held', expected: 'blocked', ...await probeFromChild(peerFile, timeout) });
      }
    }
    native.flock(fd, LOCK_UN);
    record({ name: 'another process, after release', expected: 'acquired', ...await probeFromChild(peerFile !== undefined && fs.existsSync(peerFile) ? peerFile : file, timeout) });
  } finally {
    if (fd2 !== -1) fs.closeSync(fd2);
    fs.closeSync(fd);
    try { fs.unlinkSync(file); } catch { /* already gone */ }
  }
  return { coherent: details.every((d) => d.ok), dir: base, ...(peer === undefined ? {} : { peerDir: peer }), details };
}
