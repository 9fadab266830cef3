"""Sums up the strace -f -T -tt files PREFIX.p0 … PREFIX.p3 that
bench/trace-updates.ts makes (process i on host i % 2), per update: an
update is one process's hold, from its flock(LOCK_EX) returning 0 to its
flock(LOCK_UN). Only what follows each process's "rmw" command line counts
(the warm-up before it is on a private file).

Prints the hold after a hand-off from the other host and from the same host,
the time from one process's unlock to the next grant, and, when the traces
hold more than flock and read, the syscalls per update under the lock with
their p50/max durations, named by what they touch (the lock file, F, F's
lstat, the O_PATH pin, the temp file, the directory)."""
import collections
import re
import statistics
import sys

IGNORE = {'futex', 'epoll_wait', 'epoll_pwait', 'epoll_ctl', 'mprotect', 'madvise', 'munmap', 'mmap', 'rt_sigprocmask',
          'rseq', 'set_robust_list', 'clone3', 'brk', 'getpid', 'gettid', 'exit', 'sched_yield', 'clock_gettime'}


def secs(ts):
    h, m, s = ts.split(':')
    return int(h) * 3600 + int(m) * 60 + float(s)


def calls(path):
    """(start, pid, name, args+result, duration) of each finished call after the rmw command."""
    lines = open(path).read().splitlines()
    start = next(i for i, l in enumerate(lines) if 'read(0, "rmw' in l)
    pending = {}
    for line in lines[start + 1:]:
        m = re.match(r'(\d+)\s+(\S+) (.*)', line)
        if not m:
            continue
        pid, ts, rest = m.groups()
        if rest.endswith('<unfinished ...>'):
            pending[pid] = (secs(ts), rest[:-len('<unfinished ...>')])
            continue
        t0 = secs(ts)
        if rest.startswith('<... '):
            if pid not in pending:
                continue
            t0, head = pending.pop(pid)
            rest = head + rest.split('resumed>', 1)[1]
        c = re.match(r'(\w+)\((.*)', rest)
        d = re.search(r'<(\d+\.\d+)>$', rest)
        if c and d:
            yield t0, pid, c.group(1), c.group(2), float(d.group(1))


def kind(call, args):
    if call not in ('openat', 'newfstatat', 'statx', 'open', 'stat', 'lstat', 'fstat'):
        return call
    if '.lock"' in args:
        return call + ' lock file (path)'
    if 'O_PATH' in args:
        return call + ' F, O_PATH pin'
    if 'O_NONBLOCK' in args and 'O_DIRECTORY' in args:  # readdir's open
        return call + ' directory (leftover sweep)'
    if re.search(r'\.tmp[".]', args):
        return call + ' temp file'
    if 'AT_SYMLINK_NOFOLLOW' in args:
        return call + ' F (lstat)'
    if re.search(r'\.yaml"', args):
        return call + ' F'
    if re.match(r'AT_FDCWD, "[^"]*", O_RDONLY', args) or 'O_DIRECTORY' in args:
        return call + ' directory'
    if 'AT_EMPTY_PATH' in args:
        return call + ' an open fd'
    return call


def main(prefix):
    events = []  # (time, 'got'|'un', process)
    per = collections.defaultdict(list)
    full = False
    for i in range(4):
        held = False
        for t0, pid, call, args, d in calls(f'{prefix}.p{i}'):
            if call == 'flock':
                if 'LOCK_UN' in args:
                    events.append((t0, 'un', i))
                    held = False
                elif re.search(r'\) = 0 <', args):
                    events.append((t0 + d, 'got', i))
                    held = True
                continue
            if call != 'read':
                full = True
            if not held or call in IGNORE:
                continue
            # The eventfd and stdout/stderr traffic of the peer, not the update.
            if call in ('write', 'read') and re.match(r'\d+, "\\1\\0', args) or re.match(r'[012], ', args):
                continue
            per[kind(call, args)].append(d)
    events.sort()
    got = None
    prev = None
    hold = {'cross': [], 'same': []}
    for t, k, i in events:
        if k == 'got':
            got = (t, i)
        elif got is not None and got[1] == i:
            hold['cross' if prev is not None and prev % 2 != i % 2 else 'same'].append((t - got[0]) * 1000)
            prev = i
    handoffs = [(b[0] - a[0]) * 1000 for a, b in zip(events, events[1:]) if a[1] == 'un' and b[1] == 'got']
    n = len(hold['cross']) + len(hold['same'])
    p50 = lambda l: f'p50 {statistics.median(l):.1f} ms, max {max(l):.1f} ms' if l else '-'
    print(f'   {n} updates; hold after a hand-off from the other host: n={len(hold["cross"])} {p50(hold["cross"])}; '
          f'from the same host: n={len(hold["same"])} {p50(hold["same"])}')
    print(f'   unlock -> next grant: {p50(handoffs)}')
    if not full or n == 0:
        return
    print(f'   syscalls under the lock, per update ({sum(len(v) for v in per.values()) / n:.1f} in all):')
    for k, v in sorted(per.items(), key=lambda kv: -sum(kv[1])):
        v = sorted(v)
        print(f'     {k:36s} {len(v) / n:4.2f}  p50 {v[len(v) // 2] * 1000:6.2f} ms  max {v[-1] * 1000:7.1f} ms  '
              f'{sum(v) / n * 1000:6.2f} ms/update')


if __name__ == '__main__':
    for p in sys.argv[1:]:
        main(p)
