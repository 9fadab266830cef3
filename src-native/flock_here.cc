// flock(2) on the calling thread, optionally with a deadline: for a
// synchronous acquisition, which blocks its thread anyway.
//
// Waiting on a waiter thread and blocking the JS thread on a condition
// variable costs two wake-ups per hand-off (the kernel wakes the waiter
// thread, which wakes the JS thread); here the kernel wakes the caller. A
// deadline is design (b) of DESIGN.md's "Waiting", what util-linux
// `flock -w` does, aimed at one thread: a POSIX timer with SIGEV_THREAD_ID
// sends this very thread a signal whose handler does nothing and is
// installed without SA_RESTART, so flock() fails with EINTR at the deadline.
// No other thread ever gets the signal.
//
// The timer repeats every kRetryNs after the deadline: a signal that lands
// just before flock() is entered (a deadline that is already near) would
// otherwise be lost, and the thread would block past its deadline. The timer
// is deleted before returning, and an unblocked signal is always delivered
// by the time the deleting syscall returns, so no stray signal reaches a
// later syscall of the process.
//
// Deadlines need Linux (SIGEV_THREAD_ID). Elsewhere (macOS), and in the
// FL_PORTABLE_PATHS build that tests macOS's code paths on Linux, a finite
// wait fails at once with ENOSYS from 'timer_create', and the caller waits
// on a waiter thread instead.
#include "fl.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <mutex>
#include <sys/file.h>
#include <unistd.h>

#if defined(__linux__) && defined(SIGEV_THREAD_ID) && !defined(FL_PORTABLE_PATHS)
#define FL_HAVE_TIMED_FLOCK 1
#include <sys/syscall.h>
#endif

namespace fl {

#ifdef FL_HAVE_TIMED_FLOCK
namespace {

constexpr long kRetryNs = 1000000;  // 1 ms

void OnDeadline(int) {}

bool IsOurs(int signo) {
  struct sigaction cur = {};
  return sigaction(signo, nullptr, &cur) == 0 && (cur.sa_flags & (SA_SIGINFO | SA_RESTART)) == 0 &&
         cur.sa_handler == OnDeadline;
}

// The real-time signal whose handler is ours: the first one from SIGRTMAX down
// that nobody in the process handles (0 when every one is taken). From the
// top, because programs that use real-time signals of their own, handled or
// taken with sigwait() (which leaves the disposition SIG_DFL), count them up
// from SIGRTMIN. Checked at every wait (one rt_sigaction, before blocking):
// code that later installs a handler of its own there, with SA_RESTART say,
// would otherwise make a deadline pass unnoticed.
int DeadlineSignal() {
  static std::mutex m;
  static int signo = 0;
  std::lock_guard<std::mutex> lock(m);
  if (signo != 0 && IsOurs(signo)) return signo;
  int taken = signo;
  signo = 0;
  for (int s = SIGRTMAX; s >= SIGRTMIN; s--) {
    if (s == taken) continue;
    struct sigaction old = {};
    if (sigaction(s, nullptr, &old) != 0) continue;
    if ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL) continue;
    struct sigaction sa = {};
    sa.sa_handler = OnDeadline;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the signal must interrupt flock()
    if (sigaction(s, &sa, nullptr) == 0) {
      signo = s;
      break;
    }
  }
  return signo;
}

// The raw syscalls: glibc before 2.34 keeps timer_create in librt, which the
// prebuilt binary (glibc 2.28 floor, only libc linked) does not load.
struct ThreadTimer {
  int id = -1;
  int Create(int signo) {
    struct sigevent ev = {};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = signo;
#ifdef sigev_notify_thread_id
    ev.sigev_notify_thread_id = static_cast<pid_t>(syscall(SYS_gettid));
#else
    ev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
#endif
    int timer = -1;
    if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &timer) != 0) return errno;
    id = timer;
    return 0;
  }
  int Arm(int64_t ns) {
    struct itimerspec spec = {};
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    spec.it_interval.tv_nsec = kRetryNs;
    return syscall(SYS_timer_settime, id, 0, &spec, nullptr) == 0 ? 0 : errno;
  }
  ~ThreadTimer() {
    if (id != -1) syscall(SYS_timer_delete, id);
  }
};

// flock(fd, op) until `ms` pass: 0 and *granted, or an errno and the name
// of the call that failed.
int FlockUntil(int fd, int op, double ms, bool* granted, const char** failed) {
  // Clamped to 30 years, so that the deadline in ns fits in 64 bits.
  ms = std::min(std::max(ms, 0.0), 1e12);
  int64_t deadline = MonoNs() + static_cast<int64_t>(ms * 1e6);
  *failed = "timer_create";
  int signo = DeadlineSignal();
  if (signo == 0) return EAGAIN;  // every real-time signal has a handler already
  // The signal must reach this thread: a thread started with it blocked
  // would sleep through its deadline. Restored below only if it was blocked.
  sigset_t set, before;
  sigemptyset(&set);
  sigaddset(&set, signo);
  pthread_sigmask(SIG_UNBLOCK, &set, &before);
  int err = 0;
  {
    ThreadTimer timer;
    err = timer.Create(signo);
    if (err == 0) err = timer.Arm(deadline - MonoNs());
    if (err == 0) *failed = "flock";
    while (err == 0) {
      if (flock(fd, op) == 0) {
        *granted = true;
        break;
      }
      if (errno != EINTR) {
        err = errno;
        break;
      }
      if (MonoNs() >= deadline) break;
    }
  }  // the timer is deleted here; a signal it still sent is delivered by now
  if (sigismember(&before, signo)) pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return err;
}

}  // namespace
#endif

namespace {

// flockHere(fd, op, ms, path) -> 'granted', 'moved' (granted, but `path`
// names another file now, or none), or 'timeout' (ms passed first; nothing
// held). op is LOCK_SH or LOCK_EX; ms may be Infinity; an empty path skips
// the identity check. Throws errno errors, the lock then not held; one with
// syscall 'timer_create' means no deadline could be set up here and nothing
// was waited for.
Napi::Value FlockHere(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].As<Napi::Number>().Int32Value();
  double ms = info[2].As<Napi::Number>().DoubleValue();
  std::string path = info[3].As<Napi::String>().Utf8Value();
  // The descriptor's inode, before the wait: after it, one stat of the path.
  Inode inode;
  if (!path.empty()) {
    int err = InodeOf(fd, &inode);
    if (err != 0) {
      ThrowErrno(env, err, "fstat");
      return env.Undefined();
    }
  }
  int err = 0;
  const char* failed = "flock";
  bool granted = false;
  if (std::isinf(ms)) {
    LockRequest req;
    req.op = op;
    err = RunBlocking(fd, req);
    granted = err == 0;
  } else {
#ifdef FL_HAVE_TIMED_FLOCK
    err = FlockUntil(fd, op, ms, &granted, &failed);
#else
    err = ENOSYS;
    failed = "timer_create";
#endif
  }
  if (err != 0) {
    ThrowErrno(env, err, failed);
    return env.Undefined();
  }
  if (!granted) return Napi::String::New(env, "timeout");
  bool same = true;
  if (!path.empty() && NamesInode(path.c_str(), inode, &same) != 0) same = false;
  return Napi::String::New(env, same ? "granted" : "moved");
}

}  // namespace

void InitFlockHere(Napi::Env env, Napi::Object exports) {
  exports.Set("flockHere", Napi::Function::New(env, FlockHere, "flockHere"));
}

}  // namespace fl
