"""Share YAML files safely with Node agents that use file-locking.

Copy this file into your project; it needs only PyYAML (Debian: apt install
python3-yaml; else pip install PyYAML). Python 3.8+, Linux or macOS.

The lock is flock(2) on FILE + ".lock", the one file-locking's ReadModifyWrite,
AtomicFileWriter, SafeFileReader and CLI take, so Python and Node updates of a
file never interleave. Times here are SECONDS (timeout=30.0); file-locking's
options are milliseconds (timeout: 30_000); its CLI's -w is seconds. A timeout
polls (at most 20 ms apart); timeout=None waits in the kernel, first come first served.

    from locked_yaml import read_yaml, update_yaml

    def claim(queue):
        task = next(t for t in queue['tasks'] if t['status'] == 'pending')
        task['status'] = 'claimed'
        return queue                      # or None: keep `queue` as changed in place

    update_yaml('queue.yaml', claim, initial={'tasks': []}); state = read_yaml('state.yaml')
"""
import contextlib
import copy
import fcntl
import os
import tempfile
import time

import yaml

class LockTimeout(Exception):
    """The lock was not granted within `timeout` seconds."""


@contextlib.contextmanager
def locked(path, shared=False, timeout=30.0):
    """Holds flock(2) on path + '.lock' (created, never truncated). timeout=None waits forever."""
    lock_path = path + '.lock'
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:
        if not shared:
            raise
        fd = os.open(lock_path, os.O_RDONLY)  # a reader may lack write permission
    try:
        op = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if timeout is None:
            fcntl.flock(fd, op)
        else:
            deadline, pause = time.monotonic() + timeout, 0.001
            while True:
                try:
                    fcntl.flock(fd, op | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout(f'{lock_path} not granted within {timeout} s') from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.02)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _load(path):
    with open(path, encoding='utf-8') as f:
        return yaml.safe_load(f)


def _replace(path, text):
    """Atomic, durable replace that keeps the file's mode (a new file: 0666 minus the umask)."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.', suffix='.tmp')
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600, which would turn the shared file private
        with os.fdopen(fd, 'w', encoding='utf-8', newline='') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash
    finally:
        os.close(dir_fd)


def read_yaml(path, timeout=30.0):
    """The parsed contents of `path`, read under the shared lock. A missing file raises FileNotFoundError."""
    with locked(path, shared=True, timeout=timeout):
        return _load(path)


def update_yaml(path, fn, initial=None, timeout=30.0):
    """One locked read-modify-write: fn(data) returns the new data (None: data as changed in place).

    A missing file starts from a copy of `initial` (without it, FileNotFoundError).
    If fn raises, the file is left as it was. Writes what yaml.dump(default_flow_style=False)
    writes, byte for byte what file-locking's dumpYaml writes.
    """
    with locked(path, timeout=timeout):
        try:
            data = _load(path)
        except FileNotFoundError:
            if initial is None:
                raise
            data = copy.deepcopy(initial)
        new = fn(data)
        new = data if new is None else new
        _replace(path, yaml.dump(new, default_flow_style=False))
        return new
