// Kernel waits on a dedicated thread.
//
// A blocked flock()/F_SETLKW must never occupy a libuv threadpool thread:
// with the default 4 threads, five waiters would stall every fs call in the
// process. Each wait here runs on its own std::thread, and the result comes
// back to JavaScript through a ThreadSafeFunction.
//
// A thread blocked in the kernel cannot be cancelled (closing its fd does not
// wake it), so the protocol is ownership: the waiter owns `fd` until it
// reports success. The caller can stop caring (abandon); the thread then ends
// by itself once the kernel answers, undoing the lock and closing the fd if
// nobody took the wait back meanwhile (resume). A synchronous caller blocks
// on the same waiter with waitFor(), so sync and async acquisitions share
// one kernel waiter per lock file.
#include "fl.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <sys/file.h>
#include <thread>
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

namespace {

// Wait phases. The JS thread flips kWaiting <-> kAbandoned; the waiter
// thread moves kWaiting -> kWon, or finds kAbandoned and cleans up itself.
// A synchronous caller that sees kWon takes the result (kClaimed), and the
// asynchronous report is then dropped.
enum Phase : int { kWaiting, kAbandoned, kWon, kClaimed, kFinished };

struct WaitState {
  int fd = -1;
  LockRequest req;
  std::string path;  // flock waits: checked against the won descriptor
  int err = 0;
  bool moved = false;  // won, but `path` names another file now
  Napi::ThreadSafeFunction tsfn;
  std::atomic<int> phase{kWaiting};
  bool delivered = false;  // touched on the JS thread only
  std::mutex m;  // guards done, envGone, hook and every use of tsfn by the thread
  std::condition_variable cv;
  bool done = false;
  // The environment is being torn down (process exit, worker terminate):
  // its ThreadSafeFunctions are freed, so the thread must not touch tsfn.
  bool envGone = false;
  std::shared_ptr<WaitState>* hook = nullptr;
};

using StatePtr = std::shared_ptr<WaitState>;

void EnvGone(void* arg) {
  auto* box = static_cast<StatePtr*>(arg);
  {
    std::lock_guard<std::mutex> lock((*box)->m);
    (*box)->envGone = true;
    (*box)->hook = nullptr;
  }
  delete box;
}

void Deliver(Napi::Env env, Napi::Function callback, StatePtr* payload) {
  StatePtr s = *payload;
  delete payload;
  if (env != nullptr) {
    std::lock_guard<std::mutex> lock(s->m);
    if (s->hook != nullptr) {
      napi_remove_env_cleanup_hook(env, EnvGone, s->hook);
      delete s->hook;
      s->hook = nullptr;
    }
  }
  int phase = s->phase.load();
  bool won = s->err == 0 && phase == kWon;
  if (phase == kClaimed) return;  // a synchronous waitFor() took it already
  if (env == nullptr || callback.IsEmpty()) {
    // The environment (a worker) is going away: nobody will take the lock.
    if (won) {
      UndoGranted(s->fd, s->req);
      close(s->fd);
    }
    return;
  }
  s->delivered = true;
  napi_value args[3];
  napi_status st;
  if (s->err != 0) {
    Napi::Error e = ErrnoError(env, s->err, s->req.kind == LockRequest::kFlock ? "flock" : "fcntl");
    args[0] = e.Value();
    st = napi_get_boolean(env, false, &args[1]);
  } else {
    napi_get_null(env, &args[0]);
    napi_get_boolean(env, !won, &args[1]);
  }
  napi_get_boolean(env, s->moved, &args[2]);
  napi_value global, ignored;
  napi_get_global(env, &global);
  // Raw call: during environment teardown JS cannot run, and node-addon-api
  // would turn that failure into a fatal error. Then nobody takes the lock.
  st = napi_call_function(env, global, callback, 3, args, &ignored);
  if (st != napi_ok) {
    if (st == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    } else if (won) {
      UndoGranted(s->fd, s->req);
      close(s->fd);
    }
  }
}

void WaitThread(StatePtr s) {
  int err = RunBlocking(s->fd, s->req);
  // A peer may delete and recreate a lock file while we wait. Checked here,
  // on the waiter thread, to keep the hand-off on the JS thread short; an
  // error while checking counts as "moved", which retries.
  bool same = true;
  if (err == 0 && !s->path.empty() && StillNamed(s->fd, s->path.c_str(), &same) != 0) same = false;
  bool moved = !same;
  {
    std::lock_guard<std::mutex> lock(s->m);
    s->err = err;
    s->moved = moved;
    if (err != 0) {
      close(s->fd);
      s->phase.store(kFinished);
    } else {
      int expected = kWaiting;
      if (!s->phase.compare_exchange_strong(expected, kWon)) {
        UndoGranted(s->fd, s->req);
        close(s->fd);
        s->phase.store(kFinished);
      }
    }
    s->done = true;
  }
  s->cv.notify_all();
  // Holding the mutex keeps EnvGone (which runs on the JS thread before the
  // environment frees its ThreadSafeFunctions) from running in between.
  std::lock_guard<std::mutex> lock(s->m);
  int expected = kWon;
  if (s->envGone) {
    if (s->err == 0 && s->phase.compare_exchange_strong(expected, kFinished)) {
      UndoGranted(s->fd, s->req);
      close(s->fd);
    }
    return;
  }
  auto* payload = new StatePtr(s);
  if (s->tsfn.BlockingCall(payload, Deliver) != napi_ok) {
    delete payload;
    if (s->err == 0 && s->phase.compare_exchange_strong(expected, kFinished)) {
      UndoGranted(s->fd, s->req);
      close(s->fd);
    }
  }
  s->tsfn.Release();
}

bool ParseRequest(const Napi::CallbackInfo& info, LockRequest* req, std::string* path) {
  // [fd, kind, ...]: kind 0 = flock(op, path); kind 1 = record(type, start, len, ofd)
  int kind = info[1].As<Napi::Number>().Int32Value();
  if (kind == 0) {
    req->kind = LockRequest::kFlock;
    req->op = info[2].As<Napi::Number>().Int32Value();
    *path = info[3].As<Napi::String>().Utf8Value();
    return true;
  }
  req->kind = LockRequest::kRecord;
  req->range = {};
  req->range.l_type = static_cast<short>(info[2].As<Napi::Number>().Int32Value());
  req->range.l_whence = SEEK_SET;
  req->range.l_start = static_cast<off_t>(info[3].As<Napi::Number>().Int64Value());
  req->range.l_len = static_cast<off_t>(info[4].As<Napi::Number>().Int64Value());
  bool ofd = info[5].As<Napi::Boolean>().Value();
#ifdef F_OFD_SETLKW
  req->cmd = ofd ? F_OFD_SETLKW : F_SETLKW;
#else
  if (ofd) {
    ThrowErrno(info.Env(), ENOTSUP, "fcntl");
    return false;
  }
  req->cmd = F_SETLKW;
#endif
  return true;
}

// startWait(fd, 0, op, path, done) or startWait(fd, 1, type, start, len, ofd, done)
//   -> { abandon(), resume(), waitFor(ms) }
// done(null, false, moved) once granted (the fd is the caller's again; for
// flock, `moved` says the path now names another file), done(null, true)
// when it ended abandoned (fd already closed), done(error) (fd closed).
Napi::Value StartWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto s = std::make_shared<WaitState>();
  s->fd = info[0].As<Napi::Number>().Int32Value();
  if (!ParseRequest(info, &s->req, &s->path)) return env.Undefined();
  Napi::Function callback = info[info.Length() - 1].As<Napi::Function>();
  s->tsfn = Napi::ThreadSafeFunction::New(env, callback, "file-locking:wait", 0, 1);
  // Registered after the ThreadSafeFunction, so it runs before the
  // environment's own teardown of it (cleanup hooks run in reverse order).
  s->hook = new StatePtr(s);
  napi_add_env_cleanup_hook(env, EnvGone, s->hook);
  std::thread(WaitThread, s).detach();

  Napi::Object control = Napi::Object::New(env);
  // abandon(): nobody needs the lock any more; the thread releases it by
  // itself when it wins, and the wait stops keeping the process alive.
  control.Set("abandon", Napi::Function::New(env, [s](const Napi::CallbackInfo& i) {
    int expected = kWaiting;
    if (!s->delivered && s->phase.compare_exchange_strong(expected, kAbandoned)) s->tsfn.Unref(i.Env());
  }, "abandon"));
  // resume() -> whether the wait is (again) live, taken back before it ended.
  control.Set("resume", Napi::Function::New(env, [s](const Napi::CallbackInfo& i) -> Napi::Value {
    int expected = kAbandoned;
    bool ok = !s->delivered && s->phase.compare_exchange_strong(expected, kWaiting);
    if (ok) s->tsfn.Ref(i.Env());
    return Napi::Boolean::New(i.Env(), ok || (!s->delivered && s->phase.load() == kWaiting));
  }, "resume"));
  // waitFor(ms) blocks the calling thread until the wait ends or ms pass.
  // -> 'granted' (the fd is the caller's; the async report is dropped),
  //    'moved' (granted, but the path names another file now), 'pending'
  //    (still waiting; the caller may abandon it), or 'ended' (it was
  //    abandoned and has finished). Throws the wait's error.
  control.Set("waitFor", Napi::Function::New(env, [s](const Napi::CallbackInfo& i) -> Napi::Value {
    Napi::Env e = i.Env();
    double ms = i[0].As<Napi::Number>().DoubleValue();
    std::unique_lock<std::mutex> lock(s->m);
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<long long>(ms * 1000));
    if (!s->cv.wait_until(lock, until, [&] { return s->done; })) return Napi::String::New(e, "pending");
    if (s->err != 0) {
      s->delivered = true;
      s->phase.store(kClaimed);
      ThrowErrno(e, s->err, s->req.kind == LockRequest::kFlock ? "flock" : "fcntl");
      return e.Undefined();
    }
    int expected = kWon;
    if (!s->phase.compare_exchange_strong(expected, kClaimed)) return Napi::String::New(e, "ended");
    s->delivered = true;
    return Napi::String::New(e, s->moved ? "moved" : "granted");
  }, "waitFor"));
  return control;
}

}  // namespace

void InitWaiter(Napi::Env env, Napi::Object exports) {
  exports.Set("startWait", Napi::Function::New(env, StartWait, "startWait"));
}

}  // namespace fl
