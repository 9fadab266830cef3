/**
 * A data file's bytes, and those bytes as text.
 *
 * Bytes are read as a Buffer, never through Node 20's `readFileSync(path,
 * 'utf8')` fast path, which aborts the whole process when close() fails
 * (ESTALE on network file systems); ESTALE (another client replaced the file)
 * is retried once with a fresh lookup. With `at`, the file is a name in an
 * open directory (the storage backend's confinement), opened O_NOFOLLOW since
 * the caller resolved any symlink.
 *
 * Text is decoded strictly: UTF-8, or UTF-8/UTF-16 with a BOM, as PyYAML's
 * reader accepts. Invalid bytes are refused (EDECODE, naming the offset),
 * never replaced by U+FFFD: a read-modify-write would otherwise write the
 * replacement characters back and destroy the original bytes.
 * @internal
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { promisify } from 'node:util';
import { decodeError } from '../errors';
import { native, type NameAt } from '../native';
import { YamlDecodeError, decodeText } from '../yaml';
import { retryStale, retryStaleAsync } from './stale-retry';

const { O_RDONLY, O_NOFOLLOW } = fs.constants;
const readFd = promisify(fs.readFile);

/** The file's bytes; system errors propagate for the caller to name. */
export function readBytesSync(filePath: string, at: NameAt | undefined): Buffer {
  return retryStale(() => {
    if (at === undefined) return fs.readFileSync(filePath);
    const fd = native.openat(at.dirFd, at.name, O_RDONLY | O_NOFOLLOW, 0);
    try {
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** The attributes of a file as read: what a write that replaces it keeps. */
export interface FileAttributes {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** What {@link readBytesKeptSync} read, and the descriptor it read through. */
export interface KeptRead {
  readonly bytes: Buffer;
  /** Open, read-only, on the file read; the caller's to close. */
  readonly fd: number;
  /** From its `fstat`, taken right after the open. */
  readonly stat: FileAttributes;
}

// readKept's out-parameters: the descriptor, st_mode, st_uid, st_gid and the
// length read. One array for every call: each is synchronous.
const keptOut = new Float64Array(5);

/**
 * {@link readBytesSync} through a descriptor that stays open, for a caller
 * that replaces the file next: the descriptor keeps the replaced inode alive
 * past the rename (see `openTemp`'s pin), and its `fstat` gives the
 * attributes the new file keeps, so the write opens the file no second time
 * (a round trip to the server per update on a network file system). Never
 * through a symlink: where the name is one, this fails with ELOOP and the
 * caller reads as {@link readBytesSync} does. Open, fstat and reads are one
 * native call (see src-native/open_with_stat.cc).
 */
export function readBytesKeptSync(filePath: string, at: NameAt | undefined): KeptRead {
  return retryStale(() => {
    const buf = at === undefined
      ? native.readKept(-1, filePath, O_RDONLY | O_NOFOLLOW, 0, keptOut)
      : native.readKept(at.dirFd, at.name, O_RDONLY | O_NOFOLLOW, 0, keptOut);
    return { bytes: buf.subarray(0, keptOut[4]), fd: keptOut[0], stat: { mode: keptOut[1], uid: keptOut[2], gid: keptOut[3] } };
  });
}

/** Async {@link readBytesSync}, off the event loop. */
export function readBytes(filePath: string, at: NameAt | undefined): Promise<Buffer> {
  return retryStaleAsync(async () => {
    if (at === undefined) return fsp.readFile(filePath);
    const fd = native.openat(at.dirFd, at.name, O_RDONLY | O_NOFOLLOW, 0);
    try {
      return await readFd(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** The bytes as text, strictly decoded; EDECODE naming `filePath` and the offset. */
export function decodeFileText(filePath: string, bytes: Uint8Array): string {
  try {
    return decodeText(bytes);
  } catch (err) {
    if (err instanceof YamlDecodeError) throw decodeError(filePath, err);
    throw err;
  }
}
