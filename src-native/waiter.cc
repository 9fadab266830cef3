// Kernel waits on threads of their own, never the libuv pool.
//
// A blocked flock()/F_SETLKW must never occupy a libuv threadpool thread:
// with the default 4 threads, five waiters would stall every fs call in the
// process. Each wait here runs on a thread of a small process-wide set that
// grows on demand (every blocked wait holds its thread) and parks idle
// threads for reuse, so that no thread is created or exits on the hand-off
// path; parked threads end after kIdleTrim without work. Results come back
// to JavaScript through one ThreadSafeFunction per environment, made once
// and referenced only while a wait is live, so an idle process still exits.
//
// A thread blocked in the kernel cannot be cancelled (closing its fd does not
// wake it), so the protocol is ownership: the waiter owns `fd` until it
// reports success. The caller can stop caring (abandon); the thread then ends
// the wait by itself once the kernel answers, undoing the lock and closing the
// fd if nobody took the wait back meanwhile (resume). A synchronous caller
// blocks on the same waiter with waitFor(), so sync and async acquisitions
// share one kernel waiter per lock file.
#include "fl.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <string>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

namespace fl {

int RunBlocking(int fd, const LockRequest& req) {
  int r;
  do {
    if (req.kind == LockRequest::kFlock) {
      r = flock(fd, req.op);
    } else {
      struct flock range = req.range;
      r = fcntl(fd, req.cmd, &range);
    }
  } while (r == -1 && errno == EINTR);
  return r == 0 ? 0 : errno;
}

void UndoGranted(int fd, const LockRequest& req) {
  if (req.kind == LockRequest::kFlock) {
    flock(fd, LOCK_UN);
  } else {
    struct flock range = req.range;
    range.l_type = F_UNLCK;
    // F_SETLK(W) and F_OFD_SETLK(W) accept an unlock alike; use the non-waiting form.
    int cmd = req.cmd;
#ifdef F_OFD_SETLKW
    if (cmd == F_OFD_SETLKW) cmd = F_OFD_SETLK;
#endif
    if (cmd == F_SETLKW) cmd = F_SETLK;
    fcntl(fd, cmd, &range);
  }
}

int64_t MonoNs() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

namespace {

// Wait phases. The JS thread flips kWaiting <-> kAbandoned; the waiter
// thread moves kWaiting -> kWon, or finds kAbandoned and cleans up itself.
// A synchronous caller that sees kWon takes the result (kClaimed), and the
// asynchronous report is then dropped.
enum Phase : int { kWaiting, kAbandoned, kWon, kClaimed, kFinished };

// Where the stages of the last finished wait happened, CLOCK_MONOTONIC ns:
// the kernel granted it, the identity check was done, the JS thread took
// the report. For the benchmark's hand-off breakdown (lastWaitStamps()).
enum Stamp { kFlockReturned, kChecked, kReported, kStamps };

// One per JavaScript environment (the main thread, each worker).
struct EnvWaits {
  napi_threadsafe_function tsfn = nullptr;
  std::mutex m;  // guards gone and every use of tsfn off the JS thread
  // The environment is being torn down (process exit, worker terminate):
  // its ThreadSafeFunctions are freed, so no thread may touch tsfn.
  bool gone = false;
  int live = 0;  // JS thread only: waits somebody still wants; tsfn is ref'd while > 0
  int64_t last[kStamps] = {};  // JS thread only
};

struct WaitState {
  int fd = -1;
  LockRequest req;
  std::string path;  // flock waits: checked against the won descriptor
  Inode inode;       // flock waits: the descriptor's, taken before the wait
  std::shared_ptr<EnvWaits> home;
  std::atomic<int> phase{kWaiting};
  // Written by the waiter thread before `ended`, read after it.
  int err = 0;
  bool moved = false;  // won, but `path` names another file now
  int64_t stamps[kStamps] = {};
  // JS thread only.
  napi_ref done = nullptr;
  bool delivered = false;
  bool counted = false;  // counted in home->live
  std::mutex m;  // guards ended
  std::condition_variable cv;
  bool ended = false;  // the kernel answered and, if won, the identity check is done
};

using StatePtr = std::shared_ptr<WaitState>;

void Count(napi_env env, WaitState* s) {
  if (s->counted) return;
  s->counted = true;
  if (s->home->live++ == 0) napi_ref_threadsafe_function(env, s->home->tsfn);
}

void Uncount(napi_env env, WaitState* s) {
  if (!s->counted) return;
  s->counted = false;
  if (--s->home->live == 0) napi_unref_threadsafe_function(env, s->home->tsfn);
}

// The JS side is done with the wait: drop its callback and its hold on the loop.
void Settle(napi_env env, WaitState* s) {
  s->delivered = true;
  Uncount(env, s);
  for (int i = 0; i < kStamps; i++) s->home->last[i] = s->stamps[i];
  if (s->done != nullptr) {
    napi_delete_reference(env, s->done);
    s->done = nullptr;
  }
}

void FinishUnclaimed(WaitState* s) {
  int expected = kWon;
  if (s->err == 0 && s->phase.compare_exchange_strong(expected, kFinished)) {
    UndoGranted(s->fd, s->req);
    close(s->fd);
  }
}

void Deliver(napi_env env, napi_value, void*, void* data) {
  auto* payload = static_cast<StatePtr*>(data);
  StatePtr s = std::move(*payload);
  delete payload;
  if (env == nullptr) {
    // The environment (a worker) is going away: nobody will take the lock.
    FinishUnclaimed(s.get());
    return;
  }
  if (s->delivered || s->phase.load() == kClaimed) return;  // a synchronous waitFor() took it
  s->stamps[kReported] = MonoNs();
  bool won = s->err == 0 && s->phase.load() == kWon;
  napi_value callback = nullptr;
  if (s->done != nullptr) napi_get_reference_value(env, s->done, &callback);
  Settle(env, s.get());
  napi_value args[3];
  if (s->err != 0) {
    Napi::Error e = ErrnoError(env, s->err, s->req.kind == LockRequest::kFlock ? "flock" : "fcntl");
    args[0] = e.Value();
    napi_get_boolean(env, false, &args[1]);
  } else {
    napi_get_null(env, &args[0]);
    napi_get_boolean(env, !won, &args[1]);
  }
  napi_get_boolean(env, s->moved, &args[2]);
  napi_value global, ignored;
  napi_get_global(env, &global);
  // Raw call: during environment teardown JS cannot run, and node-addon-api
  // would turn that failure into a fatal error. Then nobody takes the lock.
  napi_status st = callback == nullptr ? napi_generic_failure
                                       : napi_call_function(env, global, callback, 3, args, &ignored);
  if (st != napi_ok) {
    if (st == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    } else {
      FinishUnclaimed(s.get());
    }
  }
}

// Queues the report for the JS thread; false once the environment is gone.
bool Post(const StatePtr& s) {
  EnvWaits& home = *s->home;
  std::lock_guard<std::mutex> lock(home.m);
  if (home.gone) return false;
  auto* payload = new StatePtr(s);
  if (napi_call_threadsafe_function(home.tsfn, payload, napi_tsfn_nonblocking) != napi_ok) {
    delete payload;
    return false;
  }
  return true;
}

void RunWait(const StatePtr& s) {
  int err = RunBlocking(s->fd, s->req);
  s->stamps[kFlockReturned] = MonoNs();
  // A peer may delete and recreate a lock file while we wait: a won flock
  // wait checks that `path` still names the locked file. Checked here, on
  // the waiter thread, to keep the JS thread's part of the hand-off short;
  // an error while checking counts as "moved". Not overlapped with the
  // wake-up: posting first let the woken JS thread preempt the check (the
  // check's stage took 40-54 us instead of 14-20 us in the hand-off bench),
  // and a report that arrives before its check needs a second wake-up.
  bool check = false;
  {
    std::lock_guard<std::mutex> lock(s->m);
    s->err = err;
    if (err != 0) {
      close(s->fd);
      s->phase.store(kFinished);
    } else {
      int expected = kWaiting;
      if (s->phase.compare_exchange_strong(expected, kWon)) {
        check = !s->path.empty();
      } else {
        UndoGranted(s->fd, s->req);
        close(s->fd);
        s->phase.store(kFinished);
      }
    }
    if (!check) {
      s->stamps[kChecked] = s->stamps[kFlockReturned];
      s->ended = true;
    }
  }
  if (!check) {
    s->cv.notify_all();
    if (!Post(s)) FinishUnclaimed(s.get());
    return;
  }
  bool same = false;  // an error of the stat leaves it false: treated as moved
  NamesInode(s->path.c_str(), s->inode, &same);
  {
    std::lock_guard<std::mutex> lock(s->m);
    s->moved = !same;
    s->stamps[kChecked] = MonoNs();
    s->ended = true;
  }
  s->cv.notify_all();
  if (!Post(s)) FinishUnclaimed(s.get());
}

// The threads that wait. Never destroyed: a thread may still be blocked in
// the kernel while the process exits and runs static destructors.
struct Pool {
  std::mutex m;
  std::condition_variable cv;
  std::deque<StatePtr> jobs;
  size_t idle = 0;  // parked threads that have not been handed a job yet
};

Pool& ThePool() {
  static Pool* pool = new Pool();
  return *pool;
}

// A parked thread ends after this long without a wait to run: a process that
// waits in bursts reuses its threads, one that stops waiting gets rid of them.
constexpr std::chrono::milliseconds kIdleTrim{500};
// A waiter runs flock(2), a stat or two and a queue push; it needs no 8 MB stack.
constexpr size_t kStackBytes = 256 * 1024;

void* PoolThread(void*) {
  Pool& pool = ThePool();
  std::unique_lock<std::mutex> lock(pool.m);
  for (;;) {
    if (!pool.jobs.empty()) {
      StatePtr s = std::move(pool.jobs.front());
      pool.jobs.pop_front();
      lock.unlock();
      RunWait(s);
      s.reset();
      lock.lock();
      continue;
    }
    pool.idle++;
    bool woken = pool.cv.wait_for(lock, kIdleTrim, [&] { return !pool.jobs.empty(); });
    pool.idle--;
    if (!woken) return nullptr;
  }
}

// Hands a wait to a parked thread, or to a new one. Returns 0 or an errno.
int Submit(StatePtr s) {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.m);
  pool.jobs.push_back(std::move(s));
  if (pool.jobs.size() <= pool.idle) {
    pool.cv.notify_one();
    return 0;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStackBytes);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  int err = pthread_create(&thread, &attr, PoolThread, nullptr);
  pthread_attr_destroy(&attr);
  if (err != 0) pool.jobs.pop_back();
  return err;
}

void EnvGone(void* arg) {
  auto* box = static_cast<std::shared_ptr<EnvWaits>*>(arg);
  {
    std::lock_guard<std::mutex> lock((*box)->m);
    (*box)->gone = true;
  }
  delete box;
}

// Both entry points -> a token for abandonWait, resumeWait and waitForWait:
// an External holding the wait, freed when JavaScript drops it. One object
// per wait: an object with three functions of its own made the call's
// synchronous part take 43-55 us (p50 of 400 waits with the caches flushed
// before each, three runs), against 22-47 us with the token.
// done(null, false, moved) once granted (the fd is the caller's again; for
// flock, `moved` says the path now names another file), done(null, true)
// when it ended abandoned (fd already closed), done(error) (fd closed).
// Throws (the fd stays the caller's) when no thread can be started.
Napi::Value StartWait(const Napi::CallbackInfo& info, const std::shared_ptr<EnvWaits>& home,
                      std::shared_ptr<WaitState> s, napi_value done) {
  Napi::Env env = info.Env();
  s->home = home;
  napi_create_reference(env, done, 1, &s->done);
  Count(env, s.get());
  int err = Submit(s);
  if (err != 0) {
    Settle(env, s.get());
    ThrowErrno(env, err, "pthread_create");
    return env.Undefined();
  }
  return Napi::External<StatePtr>::New(env, new StatePtr(std::move(s)),
                                       [](Napi::Env, StatePtr* token) { delete token; });
}

// The wait behind a token from StartWait; null (a TypeError thrown) for anything else.
WaitState* TokenOf(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "not a wait token").ThrowAsJavaScriptException();
    return nullptr;
  }
  return info[0].As<Napi::External<StatePtr>>().Data()->get();
}

// abandonWait(token): nobody needs the lock any more; the thread releases it
// by itself when it wins, and the wait stops keeping the process alive.
void AbandonWait(const Napi::CallbackInfo& info) {
  WaitState* s = TokenOf(info);
  if (s == nullptr) return;
  int expected = kWaiting;
  if (!s->delivered && s->phase.compare_exchange_strong(expected, kAbandoned)) Uncount(info.Env(), s);
}

// resumeWait(token) -> whether the wait is (again) live, taken back before it ended.
Napi::Value ResumeWait(const Napi::CallbackInfo& info) {
  WaitState* s = TokenOf(info);
  if (s == nullptr) return info.Env().Undefined();
  int expected = kAbandoned;
  bool ok = !s->delivered && s->phase.compare_exchange_strong(expected, kWaiting);
  if (ok) Count(info.Env(), s);
  return Napi::Boolean::New(info.Env(), ok || (!s->delivered && s->phase.load() == kWaiting));
}

// waitForWait(token, ms) blocks the calling thread until the wait ends or ms
// pass. -> 'granted' (the fd is the caller's; the async report is dropped),
// 'moved' (granted, but the path names another file now), 'pending' (still
// waiting; the caller may abandon it), or 'ended' (it was abandoned and has
// finished). Throws the wait's error.
Napi::Value WaitForWait(const Napi::CallbackInfo& info) {
  Napi::Env e = info.Env();
  WaitState* s = TokenOf(info);
  if (s == nullptr) return e.Undefined();
  double ms = info[1].As<Napi::Number>().DoubleValue();
  {
    std::unique_lock<std::mutex> lock(s->m);
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<long long>(ms * 1000));
    if (!s->cv.wait_until(lock, until, [&] { return s->ended; })) return Napi::String::New(e, "pending");
  }
  s->stamps[kReported] = MonoNs();
  if (s->err != 0) {
    s->phase.store(kClaimed);
    Settle(e, s);
    ThrowErrno(e, s->err, s->req.kind == LockRequest::kFlock ? "flock" : "fcntl");
    return e.Undefined();
  }
  int expected = kWon;
  if (!s->phase.compare_exchange_strong(expected, kClaimed)) return Napi::String::New(e, "ended");
  Settle(e, s);
  return Napi::String::New(e, s->moved ? "moved" : "granted");
}

}  // namespace

void InitWaiter(Napi::Env env, Napi::Object exports) {
  auto home = std::make_shared<EnvWaits>();
  napi_value name;
  napi_create_string_utf8(env, "file-locking:wait", NAPI_AUTO_LENGTH, &name);
  // No JS function of its own: each report calls the `done` of its wait.
  napi_status st = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr,
                                                   nullptr, Deliver, &home->tsfn);
  if (st != napi_ok) {
    Napi::Error::New(env, "file-locking: cannot create the wait channel").ThrowAsJavaScriptException();
    return;
  }
  napi_unref_threadsafe_function(env, home->tsfn);
  // Registered after the ThreadSafeFunction, so it runs before the
  // environment's own teardown of it (cleanup hooks run in reverse order).
  napi_add_env_cleanup_hook(env, EnvGone, new std::shared_ptr<EnvWaits>(home));
  // startFlockWait(fd, op, path, done): flock(fd, op), op LOCK_SH or LOCK_EX;
  // once won, checks that `path` still names the locked file.
  exports.Set("startFlockWait", Napi::Function::New(env, [home](const Napi::CallbackInfo& info) {
    auto s = std::make_shared<WaitState>();
    s->fd = info[0].As<Napi::Number>().Int32Value();
    s->req.kind = LockRequest::kFlock;
    s->req.op = info[1].As<Napi::Number>().Int32Value();
    s->path = info[2].As<Napi::String>().Utf8Value();
    // The descriptor's inode never changes: taken now, so that a won wait
    // makes one stat of the path on the hand-off, not an fstat as well.
    if (!s->path.empty()) {
      int err = InodeOf(s->fd, &s->inode);
      if (err != 0) {
        ThrowErrno(info.Env(), err, "fstat");
        return info.Env().Undefined();
      }
    }
    return StartWait(info, home, std::move(s), info[3]);
  }, "startFlockWait"));
  // startRecordWait(fd, cmd, type, start, len, done): fcntl(fd, cmd, range),
  // cmd F_SETLKW or F_OFD_SETLKW, over [start, start + len) from SEEK_SET.
  exports.Set("startRecordWait", Napi::Function::New(env, [home](const Napi::CallbackInfo& info) {
    auto s = std::make_shared<WaitState>();
    s->fd = info[0].As<Napi::Number>().Int32Value();
    s->req.kind = LockRequest::kRecord;
    s->req.cmd = info[1].As<Napi::Number>().Int32Value();
    s->req.range = {};
    s->req.range.l_type = static_cast<short>(info[2].As<Napi::Number>().Int32Value());
    s->req.range.l_whence = SEEK_SET;
    s->req.range.l_start = static_cast<off_t>(info[3].As<Napi::Number>().Int64Value());
    s->req.range.l_len = static_cast<off_t>(info[4].As<Napi::Number>().Int64Value());
    return StartWait(info, home, std::move(s), info[5]);
  }, "startRecordWait"));
  exports.Set("abandonWait", Napi::Function::New(env, AbandonWait, "abandonWait"));
  exports.Set("resumeWait", Napi::Function::New(env, ResumeWait, "resumeWait"));
  exports.Set("waitForWait", Napi::Function::New(env, WaitForWait, "waitForWait"));
  // lastWaitStamps() -> [flockReturned, checked, reported] of the last wait
  // the JS thread took, CLOCK_MONOTONIC ns (process.hrtime.bigint()'s clock).
  exports.Set("lastWaitStamps", Napi::Function::New(env, [home](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env e = info.Env();
    Napi::Array out = Napi::Array::New(e, kStamps);
    for (uint32_t i = 0; i < kStamps; i++) {
      napi_value v;
      napi_create_bigint_int64(e, home->last[i], &v);
      out.Set(i, v);
    }
    return out;
  }, "lastWaitStamps"));
}

}  // namespace fl
