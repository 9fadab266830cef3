import { FileLockingError } from './errors';

/**
 * Rejects paths no file can have, before anything touches the disk, with
 * the reason spelled out. @internal
 */
export function checkPath(p: unknown, where: string): asserts p is string {
  if (typeof p !== 'string') throw new TypeError(`${where}: path must be a string, got ${p === null ? 'null' : typeof p}`);
  if (p === '') throw new FileLockingError('EINVALIDPATH', `${where}: the path is empty`, p);
  if (p.includes('\0')) throw new FileLockingError('EINVALIDPATH', `${where}: the path contains a NUL byte: ${JSON.stringify(p)}`, p);
}
