// The floor of every benchmark: flock(2) from C, no runtime in between.
//
// A child driven by bench/peers.ts over stdin/stdout, speaking the same line
// protocol as bench/fixtures/node-peer.ts and bench/fixtures/plan_peer.py, so
// that every scenario drives every peer the same way:
//
//   raw-flock LOCKFILE STAMPFILE reopen|keep|thread
//
//   uncontended MS               -> ok NS_PER_OP OPS
//   acquire [TIMEOUT_MS]         -> trying, then: acquired NS_SINCE_STAMP [STAGE=NS_SINCE_STAMP…]
//                                   (the holder's stamp: taken right before its unlock, written after it)
//                                   | timeout NS_WAITED
//   release                      -> released
//   counter FILE START_NS END_NS -> ok INCREMENTS
//   rmw FILE START_NS END_NS MODE -> ok UPDATES UPDATES_DONE_BY_END LAST_END_NS
//   quit
//
// "rmw" is the floor of the read-modify-write benchmark (bench/rmw.ts): under
// the lock it reads FILE, adds one to the number after "counter: " at the
// start of a line (no YAML parser: the rest of the text is copied as is),
// writes the result to FILE.tmp.PID and renames it over FILE. MODE 1 adds
// fsync of the temp file before the rename and of the directory after it.
// MODE 2 writes FILE in place instead (pwrite + ftruncate, no temp file, no
// rename, no fsync; not atomic for a reader without the lock): what the
// update costs a file system without the name change, whose settling is what
// a reader on another CephFS client waits for after a rename.
//
// "reopen" opens the lock file on every acquire (what a library without an
// fd cache does); "keep" opens it once. "thread" keeps the fd too, but an
// unbounded "acquire" waits the way any event-loop runtime must: a new
// thread blocks in flock() and wakes the main thread, asleep in epoll_wait,
// through an eventfd. It is the floor of every such design (ours and
// fs-ext's included): two wake-ups per hand-off where a plain flock() has
// one; its clock stops when the main thread wakes, before it joins the
// thread (which a persistent waiter would not). Its "acquired" line adds the
// stage "flock=NS": when the waiter thread's flock() returned. The stages
// are the hand-off breakdown of bench/handoff.ts; every peer may add its
// own. Failures answer "error MESSAGE".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *lock_path;
static int keep_fd;
static int wait_in_thread;
static int lock_fd = -1;
static int stamp_fd = -1;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

static int open_lock(void) {
  if (keep_fd && lock_fd >= 0) return lock_fd;
  lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  return lock_fd;
}

static void close_lock(void) {
  if (keep_fd || lock_fd < 0) return;
  close(lock_fd);
  lock_fd = -1;
}

static int lock_once(void) {
  int fd = open_lock();
  if (fd < 0 || flock(fd, LOCK_EX) != 0) return -1;
  return 0;
}

static void unlock_once(void) {
  flock(lock_fd, LOCK_UN);
  close_lock();
}

static void cmd_uncontended(long ms) {
  // Warm up page cache and dentry first, then time growing batches until MS
  // have passed, so that a 1 µs and a 1 ms peer both get a stable figure.
  int64_t warm_end = now_ns() + 500 * 1000000LL;
  while (now_ns() < warm_end) {
    if (lock_once() != 0) { reply("error flock: %s", strerror(errno)); return; }
    unlock_once();
  }
  long ops = 0, batch = 16;
  int64_t t0 = now_ns(), elapsed;
  for (;;) {
    for (long i = 0; i < batch; i++) {
      if (lock_once() != 0) { reply("error flock: %s", strerror(errno)); return; }
      unlock_once();
    }
    ops += batch;
    elapsed = now_ns() - t0;
    if (elapsed >= ms * 1000000LL) break;
    if (batch < 65536) batch *= 2;
  }
  reply("ok %.1f %ld", (double)elapsed / ops, ops);
}

struct thread_wait {
  int fd, event_fd, result, err;
  int64_t flock_ns;
};

// When the last flock_on_thread() returned in the kernel and woke the caller.
static int64_t thread_flock_ns, thread_woke_ns;

static void *wait_thread(void *arg) {
  struct thread_wait *w = arg;
  int r;
  while ((r = flock(w->fd, LOCK_EX)) != 0 && errno == EINTR) {}
  w->flock_ns = now_ns();
  w->result = r;
  w->err = errno;
  uint64_t one = 1;
  if (write(w->event_fd, &one, sizeof one) != sizeof one) abort();
  return NULL;
}

// flock(LOCK_EX) on a thread of its own; the calling thread sleeps in
// epoll_wait until the thread reports through an eventfd, as an event loop does.
static int flock_on_thread(int fd) {
  static int event_fd = -1, ep = -1;
  if (ep < 0) {
    event_fd = eventfd(0, EFD_CLOEXEC);
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    if (event_fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, event_fd, &ev) != 0) return -1;
  }
  struct thread_wait w = {fd, event_fd, -1, 0};
  pthread_t t;
  if (pthread_create(&t, NULL, wait_thread, &w) != 0) return -1;
  struct epoll_event got;
  while (epoll_wait(ep, &got, 1, -1) != 1) {}
  thread_woke_ns = now_ns();
  uint64_t n;
  if (read(event_fd, &n, sizeof n) != sizeof n) abort();
  pthread_join(t, NULL);
  thread_flock_ns = w.flock_ns;
  errno = w.err;
  return w.result;
}

// The holder writes its stamp after its unlock, so a fast waiter can get
// here first: the stamp of this hand-off is the first one newer than t0, the
// start of this acquire (an older one is the previous hand-off's). 0 when
// none comes within 2 s.
static int64_t stamp_after(int64_t t0) {
  int64_t stamp = 0, give_up = now_ns() + 2000000000LL;
  do {
    if (pread(stamp_fd, &stamp, sizeof stamp, 0) != sizeof stamp) stamp = 0;
  } while (stamp <= t0 && now_ns() < give_up);
  return stamp > t0 ? stamp : 0;
}

static volatile sig_atomic_t alarm_fired;
static void on_alarm(int sig) { (void)sig; alarm_fired = 1; }

static void cmd_acquire(long timeout_ms) {
  reply("trying");
  int64_t t0 = now_ns();
  int fd = open_lock();
  if (fd < 0) { reply("error open: %s", strerror(errno)); return; }
  if (timeout_ms >= 0) {
    // util-linux flock -w: SIGALRM without SA_RESTART interrupts the wait.
    // The timer repeats every ms in case it fires before flock() blocks.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    alarm_fired = 0;
    struct itimerval it = {{0, 1000}, {timeout_ms / 1000, (timeout_ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
  }
  int r;
  int on_thread = wait_in_thread && timeout_ms < 0;
  if (on_thread) r = flock_on_thread(fd);
  else while ((r = flock(fd, LOCK_EX)) != 0 && errno == EINTR && !alarm_fired) {}
  int err = errno;
  int64_t got = on_thread ? thread_woke_ns : now_ns();
  if (timeout_ms >= 0) {
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
  }
  if (r != 0) {
    close_lock();
    if (err == EINTR) reply("timeout %" PRId64, got - t0);
    else reply("error flock: %s", strerror(err));
    return;
  }
  int64_t stamp = stamp_after(t0);
  if (stamp <= 0) reply("acquired -1");
  else if (on_thread) reply("acquired %" PRId64 " flock=%" PRId64, got - stamp, thread_flock_ns - stamp);
  else reply("acquired %" PRId64, got - stamp);
}

// The stamp is taken right before the unlock and written after it, so that
// writing it (20 us for a cold Node process) is not charged to the hand-off.
static void cmd_release(void) {
  int64_t stamp = now_ns();
  unlock_once();
  if (pwrite(stamp_fd, &stamp, sizeof stamp, 0) != sizeof stamp) {
    reply("error pwrite: %s", strerror(errno));
    return;
  }
  reply("released");
}

static void cmd_counter(const char *file, int64_t start, int64_t end) {
  struct timespec ts = {start / 1000000000, start % 1000000000};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
  long n = 0;
  while (now_ns() < end) {
    if (lock_once() != 0) { reply("error flock: %s", strerror(errno)); return; }
    int c = open(file, O_RDWR | O_CLOEXEC);
    if (c < 0) { reply("error open counter: %s", strerror(errno)); return; }
    char buf[32] = {0};
    ssize_t r = pread(c, buf, sizeof buf - 1, 0);
    long v = r > 0 ? atol(buf) : 0;
    int len = snprintf(buf, sizeof buf, "%ld", v + 1);
    if (pwrite(c, buf, len, 0) != len || ftruncate(c, len) != 0) {
      reply("error write counter: %s", strerror(errno));
      return;
    }
    close(c);
    unlock_once();
    n++;
  }
  reply("ok %ld", n);
}

static int write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

static void cmd_rmw(const char *file, int64_t start, int64_t end, int durable, int in_place) {
  char tmp[4096 + 32], dir[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", file, (int)getpid());
  const char *slash = strrchr(file, '/');
  if (slash == NULL) snprintf(dir, sizeof dir, ".");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash == file ? 1 : slash - file), file);
  struct timespec ts = {start / 1000000000, start % 1000000000};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
  long n = 0, in_window = 0;
  static char in[65536], out[65536 + 32];
  while (now_ns() < end) {
    if (lock_once() != 0) { reply("error flock: %s", strerror(errno)); return; }
    int c = open(file, (in_place ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (c < 0) { reply("error open %s: %s", file, strerror(errno)); return; }
    size_t len = 0;
    ssize_t r;
    while (len < sizeof in - 1 && (r = read(c, in + len, sizeof in - 1 - len)) != 0) {
      if (r < 0) { if (errno == EINTR) continue; reply("error read: %s", strerror(errno)); return; }
      len += (size_t)r;
    }
    if (!in_place) close(c);
    in[len] = '\0';
    char *p = in;
    while ((p = strstr(p, "counter: ")) != NULL && p != in && p[-1] != '\n') p++;
    if (p == NULL) { reply("error no 'counter: ' line in %s", file); return; }
    char *num = p + strlen("counter: "), *rest;
    long v = strtol(num, &rest, 10);
    int olen = snprintf(out, sizeof out, "%.*s%ld%s", (int)(num - in), in, v + 1, rest);
    if (in_place) {
      if (pwrite(c, out, (size_t)olen, 0) != olen || ftruncate(c, olen) != 0) {
        reply("error write %s: %s", file, strerror(errno));
        return;
      }
      close(c);
      unlock_once();
      n++;
      if (now_ns() <= end) in_window++;
      continue;
    }
    int t = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (t < 0) { reply("error open %s: %s", tmp, strerror(errno)); return; }
    if (write_all(t, out, (size_t)olen) != 0 || (durable && fsync(t) != 0)) {
      reply("error write %s: %s", tmp, strerror(errno));
      return;
    }
    close(t);
    if (rename(tmp, file) != 0) { reply("error rename: %s", strerror(errno)); return; }
    if (durable) {
      int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (d < 0 || fsync(d) != 0) { reply("error fsync %s: %s", dir, strerror(errno)); return; }
      close(d);
    }
    unlock_once();
    n++;
    if (now_ns() <= end) in_window++;
  }
  reply("ok %ld %ld %" PRId64, n, in_window, now_ns());
}

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[3], "reopen") && strcmp(argv[3], "keep") && strcmp(argv[3], "thread"))) {
    fprintf(stderr, "usage: raw-flock LOCKFILE STAMPFILE reopen|keep|thread (commands on stdin; see source)\n");
    return 2;
  }
  lock_path = argv[1];
  wait_in_thread = strcmp(argv[3], "thread") == 0;
  keep_fd = strcmp(argv[3], "keep") == 0 || wait_in_thread;
  stamp_fd = open(argv[2], O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (stamp_fd < 0) { perror(argv[2]); return 2; }
  reply("ready");
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    char cmd[32] = {0}, file[4000] = {0};
    long a = -1;
    int64_t s = 0, e = 0;
    if (sscanf(line, "%31s", cmd) != 1) continue;
    if (!strcmp(cmd, "uncontended") && sscanf(line, "%*s %ld", &a) == 1) cmd_uncontended(a);
    else if (!strcmp(cmd, "acquire")) { sscanf(line, "%*s %ld", &a); cmd_acquire(a); }
    else if (!strcmp(cmd, "release")) cmd_release();
    else if (!strcmp(cmd, "counter") && sscanf(line, "%*s %3999s %" SCNd64 " %" SCNd64, file, &s, &e) == 3) cmd_counter(file, s, e);
    else if (!strcmp(cmd, "rmw") && sscanf(line, "%*s %3999s %" SCNd64 " %" SCNd64 " %ld", file, &s, &e, &a) == 4) cmd_rmw(file, s, e, a == 1, a == 2);
    else if (!strcmp(cmd, "quit")) break;
    else reply("error unknown command: %s", cmd);
  }
  return 0;
}
