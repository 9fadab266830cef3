// Kernel waits on a dedicated thread.
//
// A blocked flock()/F_SETLKW must never occupy a libuv threadpool thread:
// with the default 4 threads, five waiters would stall every fs call in the
// process. Each wait here runs on its own std::thread, and the result comes
// back to JavaScript through a ThreadSafeFunction.
//
// A thread blocked in the kernel cannot be cancelled (closing its fd does not
// wake it), so the protocol is ownership: the waiter owns `fd` until it
// reports success. The caller can stop caring (unref, or abandon a sync
// wait); the thread then ends by itself once the kernel answers, undoing the
// lock and closing the fd if nobody is left to take it.
#include "fl.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
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

// Async wait phases. The JS thread flips kWaiting <-> kAbandoned; the waiter
// thread moves kWaiting -> kWon, or finds kAbandoned and cleans up itself.
enum Phase : int { kWaiting, kAbandoned, kWon, kFinished };

struct WaitState {
  int fd = -1;
  LockRequest req;
  int err = 0;
  // async waits
  Napi::ThreadSafeFunction tsfn;
  std::atomic<int> phase{kWaiting};
  bool delivered = false;  // touched on the JS thread only
  // sync waits
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool abandoned = false;
};

using StatePtr = std::shared_ptr<WaitState>;

void Deliver(Napi::Env env, Napi::Function callback, StatePtr* payload) {
  StatePtr s = *payload;
  delete payload;
  bool won = s->err == 0 && s->phase.load() == kWon;
  if (env == nullptr || callback.IsEmpty()) {
    // The environment (a worker) is going away: nobody will take the lock.
    if (won) {
      UndoGranted(s->fd, s->req);
      close(s->fd);
    }
    return;
  }
  s->delivered = true;
  if (s->err != 0) {
    callback.Call({ErrnoError(env, s->err, s->req.kind == LockRequest::kFlock ? "flock" : "fcntl").Value()});
  } else {
    // (null, false): granted, the fd is the caller's. (null, true): nobody
    // wanted it any more; the waiter already undid the lock and closed the fd.
    callback.Call({env.Null(), Napi::Boolean::New(env, !won)});
  }
}

void AsyncThread(StatePtr s) {
  s->err = RunBlocking(s->fd, s->req);
  if (s->err != 0) {
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
  auto* payload = new StatePtr(s);
  napi_status st = s->tsfn.BlockingCall(payload, Deliver);
  if (st != napi_ok) {
    delete payload;
    if (s->err == 0 && s->phase.load() == kWon) {
      UndoGranted(s->fd, s->req);
      close(s->fd);
    }
  }
  s->tsfn.Release();
}

void SyncThread(StatePtr s) {
  int err = RunBlocking(s->fd, s->req);
  std::unique_lock<std::mutex> lock(s->m);
  s->err = err;
  s->done = true;
  if (s->abandoned) {
    lock.unlock();
    if (err == 0) UndoGranted(s->fd, s->req);
    close(s->fd);
    return;
  }
  s->cv.notify_one();
}

bool ParseRequest(const Napi::CallbackInfo& info, LockRequest* req) {
  // [fd, kind, ...]: kind 0 = flock(op); kind 1 = record(type, start, len, ofd)
  int kind = info[1].As<Napi::Number>().Int32Value();
  if (kind == 0) {
    req->kind = LockRequest::kFlock;
    req->op = info[2].As<Napi::Number>().Int32Value();
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

// startWait(fd, kind, ...request, callback) -> { abandon(), resume() }
// callback(null, false) once granted (the fd is the caller's again),
// callback(null, true) when it ended abandoned (fd already closed), or
// callback(error) (the fd has been closed).
Napi::Value StartWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto s = std::make_shared<WaitState>();
  s->fd = info[0].As<Napi::Number>().Int32Value();
  if (!ParseRequest(info, &s->req)) return env.Undefined();
  Napi::Function callback = info[info.Length() - 1].As<Napi::Function>();
  s->tsfn = Napi::ThreadSafeFunction::New(env, callback, "file-locking:wait", 0, 1);
  std::thread(AsyncThread, s).detach();

  Napi::Object control = Napi::Object::New(env);
  // abandon(): nobody needs the lock any more; the thread releases it by
  // itself when it wins, and the wait stops keeping the process alive.
  control.Set("abandon", Napi::Function::New(env, [s](const Napi::CallbackInfo& i) {
    int expected = kWaiting;
    if (!s->delivered && s->phase.compare_exchange_strong(expected, kAbandoned)) s->tsfn.Unref(i.Env());
  }, "abandon"));
  // resume() -> whether an abandoned wait could be taken back before it ended.
  control.Set("resume", Napi::Function::New(env, [s](const Napi::CallbackInfo& i) -> Napi::Value {
    int expected = kAbandoned;
    bool ok = !s->delivered && s->phase.compare_exchange_strong(expected, kWaiting);
    if (ok) s->tsfn.Ref(i.Env());
    return Napi::Boolean::New(i.Env(), ok || (!s->delivered && s->phase.load() == kWaiting));
  }, "resume"));
  return control;
}

// waitSync(fd, kind, ...request, timeoutMs) -> true when granted (the fd is
// the caller's again), false on timeout (the waiter keeps the fd and cleans
// up by itself). Throws on error (the fd has been closed).
Napi::Value WaitSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto s = std::make_shared<WaitState>();
  s->fd = info[0].As<Napi::Number>().Int32Value();
  if (!ParseRequest(info, &s->req)) return env.Undefined();
  double timeoutMs = info[info.Length() - 1].As<Napi::Number>().DoubleValue();
  std::thread(SyncThread, s).detach();

  std::unique_lock<std::mutex> lock(s->m);
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::microseconds(static_cast<long long>(timeoutMs * 1000));
  if (!s->cv.wait_until(lock, deadline, [&] { return s->done; })) {
    s->abandoned = true;
    return Napi::Boolean::New(env, false);
  }
  if (s->err != 0) {
    close(s->fd);
    ThrowErrno(env, s->err, s->req.kind == LockRequest::kFlock ? "flock" : "fcntl");
    return env.Undefined();
  }
  return Napi::Boolean::New(env, true);
}

}  // namespace

void InitWaiter(Napi::Env env, Napi::Object exports) {
  exports.Set("startWait", Napi::Function::New(env, StartWait, "startWait"));
  exports.Set("waitSync", Napi::Function::New(env, WaitSync, "waitSync"));
}

}  // namespace fl
