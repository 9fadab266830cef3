/**
 * Confinement: a storage root opened once as a directory descriptor, and
 * every key resolved beneath it, never by path. The kernel's help where it
 * has some (openat2 RESOLVE_BENEATH on Linux ≥ 5.6, O_NOFOLLOW_ANY on
 * macOS), else a walk component by component with O_NOFOLLOW that judges
 * each symlink itself. A neighbour who swaps a directory for a symlink
 * between two steps cannot make a key land outside the root.
 * Imports native (the *at calls) and errors.
 * @internal
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isErrno, outsideError, storageKeyError, storageRootError } from '../errors';
import { native } from '../native';

const { O_NOFOLLOW, O_RDONLY, O_DIRECTORY, S_IFMT, S_IFDIR, S_IFLNK } = fs.constants;
const { RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, O_NOFOLLOW_ANY } = native.confine;
const DIR_FLAGS = O_RDONLY | O_DIRECTORY;
/** As many symlinks as Linux follows in one lookup (MAXSYMLINKS). */
const MAX_HOPS = 40;
/** Lookups of one name a neighbour may make us repeat by changing it between two steps. */
const MAX_RACES = 1000;

/** How keys are resolved: `auto` takes the kernel's help where it has any; `walk` always walks by hand. */
export type ConfineStrategy = 'auto' | 'walk';

/**
 * Where a key lives: an open descriptor of its directory (the caller closes
 * it) and the name inside it. `display` is the path for messages only.
 */
export interface Located {
  readonly dirFd: number;
  readonly name: string;
  readonly display: string;
}

/** Options of {@link StorageRoot.locate}. */
export interface LocateOptions {
  /** Make missing directories on the way (inside the root). */
  create: boolean;
  /** A symlink as the key's last component is followed (to a target inside the root). */
  followLeaf: boolean;
}

/** Whether openat2 answered ENOSYS or EPERM once: then this process never asks again. */
let openat2Missing = native.confine.RESOLVE_BENEATH === 0;

function closeQuietly(fd: number): void {
  try { fs.closeSync(fd); } catch { /* nothing to lose: a directory opened for lookup */ }
}

const isLink = (mode: number): boolean => (mode & S_IFMT) === S_IFLNK;

/** Splits a symlink target or key into components, keeping `..` for the walk to judge. */
function parts(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * The root of a {@link FileSystemBackend}: a directory descriptor opened once,
 * beneath which every key is resolved. @internal
 */
export class StorageRoot {
  /** The root as given, absolute. */
  readonly path: string;
  /** The root's real path (symlinks resolved), for judging absolute symlink targets. */
  readonly realPath: string;
  /** Which resolution ran last: for tests and debugging. */
  lastResolution: 'openat2' | 'nofollow-any' | 'walk' | null = null;
  readonly #strategy: ConfineStrategy;
  #fd: number;

  constructor(rootPath: string, strategy: ConfineStrategy) {
    this.path = path.resolve(rootPath);
    this.#strategy = strategy;
    let fd = -1;
    try {
      fd = fs.openSync(this.path, DIR_FLAGS);
      this.realPath = fs.realpathSync(this.path);
    } catch (err) {
      if (fd !== -1) closeQuietly(fd);
      throw storageRootError(this.path, err);
    }
    this.#fd = fd;
  }

  /** The root's descriptor; -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** Closes the root's descriptor; later calls fail with EBADF. */
  close(): void {
    if (this.#fd === -1) return;
    const fd = this.#fd;
    this.#fd = -1;
    fs.closeSync(fd);
  }

  /**
   * Resolves `key` (already checked: relative, normalised, no `..`) to the
   * directory that holds it (`label`, the key as the caller spelled it, is
   * what errors name), or null when a directory on the way is missing
   * and `create` is false. Throws `EOUTSIDE` for anything that would leave
   * the root.
   */
  locate(key: string, label: string, opts: LocateOptions): Located | null {
    const comps = parts(key);
    const leaf = comps[comps.length - 1];
    const dirRel = comps.slice(0, -1).join('/');
    const fast = this.#openFast(dirRel);
    if (fast !== null) {
      if (!opts.followLeaf || !this.#isLink(fast, leaf)) return this.#located(fast, leaf, dirRel);
      closeQuietly(fast);
    }
    this.lastResolution = 'walk';
    return this.#walk(comps, label, opts);
  }

  /** Opens the directory `key` names (for listings), or null when it is missing. */
  openDir(key: string, label: string): number | null {
    if (key === '') return this.#dupRoot();
    const at = this.locate(key, label, { create: false, followLeaf: true });
    if (at === null) return null;
    try {
      return native.openat(at.dirFd, at.name, DIR_FLAGS | O_NOFOLLOW, 0);
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR', 'ELOOP')) return null;
      throw err;
    } finally {
      closeQuietly(at.dirFd);
    }
  }

  #dupRoot(): number {
    return native.openat(this.#checkedFd(), '.', DIR_FLAGS, 0);
  }

  #checkedFd(): number {
    if (this.#fd === -1) throw storageKeyError('', this.path, 'the backend was closed', 'EBADF');
    return this.#fd;
  }

  /** `dirRel`: the directory's path below the root, for messages. */
  #located(dirFd: number, name: string, dirRel: string): Located {
    return { dirFd, name, display: path.join(this.path, dirRel, name) };
  }

  #kindOf(dirFd: number, name: string): 'link' | 'dir' | 'missing' | 'other' {
    let mode: number;
    try {
      mode = native.lstatat(dirFd, name).mode;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return 'missing';
      throw err;
    }
    return isLink(mode) ? 'link' : (mode & S_IFMT) === S_IFDIR ? 'dir' : 'other';
  }

  #isLink(dirFd: number, name: string): boolean {
    try {
      return isLink(native.lstatat(dirFd, name).mode);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /**
   * One syscall for the whole directory part, where the kernel can confine
   * it. Null sends the caller to the walk: a symlink on the way (which the
   * walk follows if it stays inside), a missing directory, or a kernel
   * without the call.
   */
  #openFast(dirRel: string): number | null {
    if (this.#strategy === 'walk') return null;
    const root = this.#checkedFd();
    if (dirRel === '') {
      this.lastResolution = openat2Missing ? 'walk' : 'openat2';
      return this.#dupRoot();
    }
    if (!openat2Missing) {
      try {
        const fd = native.openat2(root, dirRel, DIR_FLAGS, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        this.lastResolution = 'openat2';
        return fd;
      } catch (err) {
        // ENOSYS: Linux < 5.6; EPERM: a seccomp filter (older container runtimes) refuses it.
        if (isErrno(err, 'ENOSYS', 'EPERM')) openat2Missing = true;
        // EXDEV (an escape, or an absolute symlink the walk may find inside),
        // ELOOP, EAGAIN (a rename raced the lookup), ENOENT, ENOTDIR: the walk decides.
        return null;
      }
    }
    if (O_NOFOLLOW_ANY !== 0) {
      // The key has no `..`, so with no symlink anywhere the path stays beneath the root.
      try {
        const fd = native.openat(root, dirRel, DIR_FLAGS | O_NOFOLLOW_ANY, 0);
        this.lastResolution = 'nofollow-any';
        return fd;
      } catch {
        return null;
      }
    }
    return null;
  }

  /**
   * Component by component from the root, each directory opened with
   * O_NOFOLLOW relative to the one before, so a swap between two steps can
   * at worst make a step fail, never lead elsewhere. `stack` holds the open
   * directories from the root down; `..` in a symlink target pops one, and
   * popping the root is leaving it.
   */
  #walk(comps: string[], label: string, opts: LocateOptions): Located | null {
    const stack = [this.#dupRoot()];
    const names: string[] = [];
    const pending = comps.slice();
    let hops = 0;
    const hop = (): void => {
      if (++hops > MAX_HOPS) {
        throw storageKeyError(label, this.path, `more than ${MAX_HOPS} symlinks or retries on the way`, 'ELOOP');
      }
    };
    let races = 0;
    // A neighbour changed the name between two of our steps: look at it again.
    const race = (name: string): void => {
      if (++races > MAX_RACES) throw storageKeyError(label, this.path, `it kept changing under ${MAX_RACES} lookups in a row`, 'EAGAIN');
      pending.unshift(name);
    };
    const follow = (dirFd: number, name: string): void => {
      let target: string;
      try {
        target = native.readlinkat(dirFd, name);
      } catch (err) {
        // EINVAL: not a symlink any more; ENOENT: gone.
        if (isErrno(err, 'EINVAL', 'ENOENT')) return race(name);
        throw err;
      }
      hop();
      if (target.startsWith('/')) {
        const rest = this.#insideRoot(target);
        if (rest === null) throw outsideError(label, `a symlink on the way points to ${target}, outside the root`, this.path);
        while (stack.length > 1) closeQuietly(stack.pop() as number);
        names.length = 0;
        pending.unshift(...parts(rest));
      } else {
        pending.unshift(...parts(target));
      }
    };
    try {
      for (;;) {
        const comp = pending.shift();
        const top = stack[stack.length - 1];
        if (comp === undefined) {
          throw storageKeyError(label, this.path, 'it resolves to a directory', 'EISDIR');
        }
        if (comp === '..') {
          if (stack.length === 1) throw outsideError(label, 'a symlink on the way leads above the root', this.path);
          closeQuietly(stack.pop() as number);
          names.pop();
          continue;
        }
        if (pending.length === 0) {
          if (opts.followLeaf && this.#isLink(top, comp)) {
            follow(top, comp);
            continue;
          }
          stack.pop();
          return this.#located(top, comp, names.join('/'));
        }
        let fd: number;
        try {
          fd = native.openat(top, comp, DIR_FLAGS | O_NOFOLLOW, 0);
        } catch (err) {
          if (isErrno(err, 'ELOOP', 'ENOTDIR', 'EMLINK', 'EFTYPE')) {
            // ELOOP (EMLINK on FreeBSD, EFTYPE on some BSDs) for a symlink; ENOTDIR for a file.
            const kind = this.#kindOf(top, comp);
            if (kind === 'link') follow(top, comp);
            else if (kind === 'dir' || kind === 'missing') race(comp);
            else throw err;
            continue;
          }
          if (!isErrno(err, 'ENOENT')) throw err;
          if (!opts.create) return null;
          try {
            native.mkdirat(top, comp, 0o777);
          } catch (err2) {
            if (!isErrno(err2, 'EEXIST')) throw err2;
          }
          // Open what is there now: ours, or whatever a neighbour put in its place.
          race(comp);
          continue;
        }
        stack.push(fd);
        names.push(comp);
      }
    } finally {
      for (const fd of stack) closeQuietly(fd);
    }
  }

  /** The part of an absolute symlink target below the root, or null when it is not below it. */
  #insideRoot(target: string): string | null {
    for (const base of new Set([this.realPath, this.path])) {
      if (target === base) return '';
      if (target.startsWith(base.endsWith('/') ? base : `${base}/`)) return target.slice(base.length);
    }
    return null;
  }
}

