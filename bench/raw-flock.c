// The floor for the benchmarks: flock(2) from C, no runtime in between.
//   raw-flock uncontended N PATH [keep]   -> ns per exclusive acquire+release
//   raw-flock handoff N PATH ROLE         -> hand-off timing (see bench/handoff.ts)
//   raw-flock counter N PATH COUNTERFILE  -> increments a counter file under the lock
//   raw-flock hold PATH MS                -> holds the lock MS ms (for the timeout bench)
//   raw-flock timeout PATH MS             -> waits up to MS ms with SIGALRM; prints lateness
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int open_lock(const char *p) {
  int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) { perror("open"); exit(2); }
  return fd;
}

static void on_alarm(int sig) { (void)sig; }

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: see source\n"); return 2; }
  const char *mode = argv[1];
  if (!strcmp(mode, "uncontended")) {
    long n = atol(argv[2]);
    const char *p = argv[3];
    int keep = argc > 4;
    int fd = keep ? open_lock(p) : -1;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
      if (!keep) fd = open_lock(p);
      if (flock(fd, LOCK_EX) != 0) { perror("flock"); return 2; }
      flock(fd, LOCK_UN);
      if (!keep) close(fd);
    }
    printf("%.1f\n", (now_ns() - t0) / n);
    return 0;
  }
  if (!strcmp(mode, "counter")) {
    // Read a decimal counter, add one, write it back, under the lock: the
    // same work each peer does in the counter benchmark.
    long n = atol(argv[2]);
    const char *p = argv[3], *cf = argv[4];
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
      int fd = open_lock(p);
      flock(fd, LOCK_EX);
      int c = open(cf, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
      char buf[32] = {0};
      ssize_t r = pread(c, buf, sizeof buf - 1, 0);
      long v = r > 0 ? atol(buf) : 0;
      int len = snprintf(buf, sizeof buf, "%ld\n", v + 1);
      if (pwrite(c, buf, len, 0) != len || ftruncate(c, len) != 0) { perror("write"); return 2; }
      close(c);
      flock(fd, LOCK_UN);
      close(fd);
    }
    printf("%.1f\n", (now_ns() - t0) / 1e6);
    return 0;
  }
  if (!strcmp(mode, "handoff")) {
    // ROLE a/b: take turns. Each side, after acquiring, records the time since
    // the other side stamped its release into the shared stamp file, then
    // stamps its own release. Prints the hand-off latencies in ns, one a line.
    long n = atol(argv[2]);
    const char *p = argv[3], *stampf = argv[4];
    int fd = open_lock(p);
    int st = open(stampf, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    for (long i = 0; i < n; i++) {
      flock(fd, LOCK_EX);
      double got = now_ns();
      double released;
      if (pread(st, &released, sizeof released, 0) == sizeof released && released > 0) {
        printf("%.0f\n", got - released);
      }
      double zero = 0;
      pwrite(st, &zero, sizeof zero, 0);
      usleep(200);  // let the other side block in flock
      double t = now_ns();
      pwrite(st, &t, sizeof t, 0);
      flock(fd, LOCK_UN);
      usleep(300);
    }
    return 0;
  }
  if (!strcmp(mode, "hold")) {
    int fd = open_lock(argv[2]);
    flock(fd, LOCK_EX);
    printf("held\n");
    fflush(stdout);
    usleep(atol(argv[3]) * 1000);
    return 0;
  }
  if (!strcmp(mode, "timeout")) {
    long ms = atol(argv[3]);
    int fd = open_lock(argv[2]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;  // no SA_RESTART: the alarm interrupts flock
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    double t0 = now_ns();
    setitimer(ITIMER_REAL, &it, NULL);
    int r = flock(fd, LOCK_EX);
    double late = (now_ns() - t0) / 1e6 - ms;
    printf("%s %.3f\n", r == 0 ? "acquired" : strerror(errno), late);
    return 0;
  }
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
