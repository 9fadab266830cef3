#include "fl.h"

#include <cerrno>
#include <unistd.h>

namespace fl {

// Record locks are a separate API from the flock protocol: on Linux the two
// kinds never conflict, so they must not stand in for each other.

static void ReadRange(const Napi::CallbackInfo& info, size_t at, struct flock* fl) {
  *fl = {};
  fl->l_type = static_cast<short>(info[at].As<Napi::Number>().Int32Value());
  fl->l_whence = SEEK_SET;
  fl->l_start = static_cast<off_t>(info[at + 1].As<Napi::Number>().Int64Value());
  fl->l_len = static_cast<off_t>(info[at + 2].As<Napi::Number>().Int64Value());
}

// fcntlSetLock(fd, cmd, type, start, len) -> true when granted, false when a
// non-waiting command (F_SETLK, F_OFD_SETLK) finds a conflict. `cmd` is the
// caller's, from the exported constants; a waiting one blocks this thread.
static Napi::Value FcntlSetLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int cmd = info[1].As<Napi::Number>().Int32Value();
  struct flock fl;
  ReadRange(info, 2, &fl);
  int r;
  do {
    r = fcntl(fd, cmd, &fl);
  } while (r == -1 && errno == EINTR);
  if (r == 0) return Napi::Boolean::New(env, true);
  if (errno == EAGAIN || errno == EACCES) return Napi::Boolean::New(env, false);
  ThrowErrno(env, errno, "fcntl");
  return env.Undefined();
}

// fcntlGetLock(fd, cmd, type, start, len) -> null when the request would be
// granted, else the first conflicting lock {type, start, len, pid}. OFD
// holders report pid -1: the kernel does not track which process owns them.
static Napi::Value FcntlGetLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int cmd = info[1].As<Napi::Number>().Int32Value();
  struct flock fl;
  ReadRange(info, 2, &fl);
  if (fcntl(fd, cmd, &fl) != 0) {
    ThrowErrno(env, errno, "fcntl");
    return env.Undefined();
  }
  if (fl.l_type == F_UNLCK) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("type", static_cast<int>(fl.l_type));
  out.Set("start", static_cast<double>(fl.l_start));
  out.Set("len", static_cast<double>(fl.l_len));
  out.Set("pid", static_cast<double>(fl.l_pid));
  return out;
}

// dupCloexec(fd) -> a second descriptor of the same open file description.
// OFD locks belong to the description, so a waiter thread can block on the
// duplicate and the lock it wins is the caller's.
static Napi::Value DupCloexec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    ThrowErrno(env, errno, "fcntl");
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

void InitRecordLock(Napi::Env env, Napi::Object exports) {
  exports.Set("dupCloexec", Napi::Function::New(env, DupCloexec, "dupCloexec"));
  exports.Set("fcntlSetLock", Napi::Function::New(env, FcntlSetLock, "fcntlSetLock"));
  exports.Set("fcntlGetLock", Napi::Function::New(env, FcntlGetLock, "fcntlGetLock"));
}

}  // namespace fl
