#include "fl.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <sys/file.h>
#include <uv.h>

namespace fl {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  // uv_err_name_r, unlike uv_err_name, does not leak a string for errnos libuv
  // has no name for (ESTALE on some versions): those get "Unknown system
  // error N", and `errno` keeps the number so callers can match on it.
  char name[64];
  uv_err_name_r(-err, name, sizeof name);
  Napi::Error e = Napi::Error::New(env, std::string(name) + ": " + std::strerror(err) + ", " + syscall);
  e.Set("code", Napi::String::New(env, name));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

void ThrowErrno(Napi::Env env, int err, const char* syscall) {
  ErrnoError(env, err, syscall).ThrowAsJavaScriptException();
}

static Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("LOCK_SH", LOCK_SH);
  c.Set("LOCK_EX", LOCK_EX);
  c.Set("LOCK_NB", LOCK_NB);
  c.Set("LOCK_UN", LOCK_UN);
  c.Set("F_RDLCK", F_RDLCK);
  c.Set("F_WRLCK", F_WRLCK);
  c.Set("F_UNLCK", F_UNLCK);
#ifdef O_PATH
  c.Set("O_PATH", O_PATH);
#else
  c.Set("O_PATH", 0);  // macOS: callers fall back to a plain open
#endif
  c.Set("F_SETLK", F_SETLK);
  c.Set("F_SETLKW", F_SETLKW);
  c.Set("F_GETLK", F_GETLK);
  // Open-file-description locks (Linux >= 3.15): absent where the OS has none.
#ifdef F_OFD_SETLK
  c.Set("F_OFD_SETLK", F_OFD_SETLK);
  c.Set("F_OFD_SETLKW", F_OFD_SETLKW);
  c.Set("F_OFD_GETLK", F_OFD_GETLK);
#endif
  return c;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("constants", Constants(env));
  InitFlock(env, exports);
  InitRecordLock(env, exports);
  InitWaiter(env, exports);
  InitFlockHere(env, exports);
  InitConfine(env, exports);
  InitDurableCommit(env, exports);
  InitOpenWithStat(env, exports);
  return exports;
}

}  // namespace fl

// NODE_API_MODULE registers through napi_module_register, which makes the
// addon context-aware: it loads once per worker_threads environment.
static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return fl::Init(env, exports); }
NODE_API_MODULE(file_locking, InitAddon)
