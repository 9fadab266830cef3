import * as fs from 'node:fs';
import type { LockHolder } from '../errors';

export type { LockHolder } from '../errors';

/** Linux encodes st_dev as glibc's makedev(); /proc/locks prints major:minor in hex. */
function majorMinor(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

function commandOf(pid: number): string | undefined {
  if (pid <= 0) return undefined;
  try {
    return fs.readFileSync(`/proc/${pid}/comm`).toString('utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Who holds or waits for locks on `file`, where the OS can tell: Linux lists
 * flock and record locks in /proc/locks. Elsewhere (macOS), and on FUSE or
 * network file systems, whose locks never appear there, the list is empty.
 *
 * The pid is a hint: flock locks belong to an open file description, and the
 * kernel reports the process that took the lock, which may have exited while
 * a child it forked still holds the descriptor.
 */
export function lockHolders(file: string): LockHolder[] {
  let table: string;
  let id: string;
  try {
    const st = fs.statSync(file, { bigint: true });
    id = `${majorMinor(st.dev)}:${st.ino}`;
    table = fs.readFileSync('/proc/locks').toString('latin1');
  } catch {
    return [];
  }
  const out: LockHolder[] = [];
  for (const line of table.split('\n')) {
    // "1: FLOCK  ADVISORY  WRITE 16661 fe:00:2146375 0 EOF"; waiters show "1: -> FLOCK …"
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const waiting = f[1] === '->';
    const [kindField, , access, pidField, where] = waiting ? f.slice(2) : f.slice(1);
    if (where !== id) continue;
    const kind = kindField === 'FLOCK' ? 'flock' : kindField === 'OFDLCK' ? 'ofd' : 'posix';
    const pid = Number(pidField);
    out.push({ pid, mode: access === 'WRITE' ? 'exclusive' : 'shared', kind, waiting, command: commandOf(pid) });
  }
  return out;
}
