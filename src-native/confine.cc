// Descriptor-relative file primitives, for confining paths beneath a
// directory held open: the *at(2) calls and, on Linux >= 5.6, openat2(2).
// Policy-free: descriptor and name in, descriptor or errno out. Which flags to
// use, how to walk components and follow symlinks, and what counts as
// "outside" are decided in TypeScript (lib/storage-backend.ts).
#include "fl.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#ifdef __linux__
#include <linux/types.h>
#include <sys/syscall.h>
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define FL_HAVE_OPENAT2_H 1
#endif
#endif

namespace fl {

#if defined(__linux__) && defined(SYS_openat2)
#ifndef FL_HAVE_OPENAT2_H
// Older headers than the kernel: the ABI is fixed (include/uapi/linux/openat2.h).
struct open_how {
  __u64 flags;
  __u64 mode;
  __u64 resolve;
};
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#endif
#define FL_HAVE_OPENAT2 1
#endif

static int Fd(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }
static std::string Str(const Napi::Value& v) { return v.As<Napi::String>().Utf8Value(); }

// Every descriptor made here is close-on-exec: a child must not inherit a
// directory that would let it reach beneath the root.
static Napi::Value OpenAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dirfd = Fd(info[0]);
  std::string name = Str(info[1]);
  int flags = info[2].As<Napi::Number>().Int32Value() | O_CLOEXEC;
  mode_t mode = static_cast<mode_t>(info[3].As<Napi::Number>().Uint32Value());
  int fd;
  do {
    fd = openat(dirfd, name.c_str(), flags, mode);
  } while (fd == -1 && errno == EINTR);
  if (fd == -1) {
    ThrowErrno(env, errno, "openat");
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// openat2(dirfd, path, {flags, mode, resolve}). ENOSYS where the kernel or
// the platform has none; seccomp filters (containers) may answer EPERM.
static Napi::Value OpenAt2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef FL_HAVE_OPENAT2
  int dirfd = Fd(info[0]);
  std::string name = Str(info[1]);
  struct open_how how {};
  how.flags = static_cast<__u64>(static_cast<unsigned>(info[2].As<Napi::Number>().Int32Value() | O_CLOEXEC));
  how.mode = info[3].As<Napi::Number>().Uint32Value();
  how.resolve = info[4].As<Napi::Number>().Uint32Value();
  long fd;
  do {
    fd = syscall(SYS_openat2, dirfd, name.c_str(), &how, sizeof how);
  } while (fd == -1 && errno == EINTR);
  if (fd == -1) {
    ThrowErrno(env, errno, "openat2");
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(fd));
#else
  ThrowErrno(env, ENOSYS, "openat2");
  return env.Undefined();
#endif
}

static Napi::Value RenameAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string from = Str(info[1]);
  std::string to = Str(info[3]);
  if (renameat(Fd(info[0]), from.c_str(), Fd(info[2]), to.c_str()) != 0) ThrowErrno(env, errno, "renameat");
  return env.Undefined();
}

// unlinkat(dirfd, name, 0): files only; nothing here removes directories.
static Napi::Value UnlinkAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = Str(info[1]);
  if (unlinkat(Fd(info[0]), name.c_str(), 0) != 0) ThrowErrno(env, errno, "unlinkat");
  return env.Undefined();
}

static Napi::Value MkdirAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = Str(info[1]);
  if (mkdirat(Fd(info[0]), name.c_str(), static_cast<mode_t>(info[2].As<Napi::Number>().Uint32Value())) != 0) {
    ThrowErrno(env, errno, "mkdirat");
  }
  return env.Undefined();
}

// lstatat(dirfd, name) = fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW) ->
// { mode, nlink, uid, gid, size, dev, ino } (dev and ino as bigint: inode numbers of
// some file systems exceed 2^53).
static Napi::Value LstatAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = Str(info[1]);
  struct stat st;
  if (fstatat(Fd(info[0]), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    ThrowErrno(env, errno, "fstatat");
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("mode", Napi::Number::New(env, st.st_mode));
  out.Set("nlink", Napi::Number::New(env, static_cast<double>(st.st_nlink)));
  out.Set("uid", Napi::Number::New(env, st.st_uid));
  out.Set("gid", Napi::Number::New(env, st.st_gid));
  out.Set("size", Napi::Number::New(env, static_cast<double>(st.st_size)));
  out.Set("dev", Napi::BigInt::New(env, static_cast<uint64_t>(st.st_dev)));
  out.Set("ino", Napi::BigInt::New(env, static_cast<uint64_t>(st.st_ino)));
  return out;
}

static Napi::Value ReadlinkAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = Str(info[1]);
  std::vector<char> buf(256);
  for (;;) {
    ssize_t n = readlinkat(Fd(info[0]), name.c_str(), buf.data(), buf.size());
    if (n == -1) {
      ThrowErrno(env, errno, "readlinkat");
      return env.Undefined();
    }
    // A full buffer may mean a truncated target: grow and read again.
    if (static_cast<size_t>(n) < buf.size()) return Napi::String::New(env, buf.data(), static_cast<size_t>(n));
    buf.resize(buf.size() * 2);
  }
}

// readdirAt(dirfd) -> [[name, type], ...] without "." and "..". type is
// d_type's letter: f(ile) d(irectory) l(ink) o(ther) or ? (unknown: the
// caller asks fstatat). Reads through a duplicate rewound to the start, so
// the caller's descriptor stays its own.
static Napi::Value ReaddirAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dup = fcntl(Fd(info[0]), F_DUPFD_CLOEXEC, 0);
  if (dup == -1) {
    ThrowErrno(env, errno, "fcntl");
    return env.Undefined();
  }
  DIR* dir = fdopendir(dup);
  if (dir == nullptr) {
    int err = errno;
    close(dup);
    ThrowErrno(env, err, "fdopendir");
    return env.Undefined();
  }
  rewinddir(dir);
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (;;) {
    errno = 0;
    struct dirent* d = readdir(dir);
    if (d == nullptr) break;
    std::string name = d->d_name;
    if (name == "." || name == "..") continue;
    const char* type = d->d_type == DT_REG ? "f" : d->d_type == DT_DIR ? "d" : d->d_type == DT_LNK ? "l"
      : d->d_type == DT_UNKNOWN ? "?" : "o";
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::String::New(env, name));
    pair.Set(1u, Napi::String::New(env, type));
    out.Set(i++, pair);
  }
  int err = errno;
  closedir(dir);
  if (err != 0) {
    ThrowErrno(env, err, "readdir");
    return env.Undefined();
  }
  return out;
}

static Napi::Object ConfineConstants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
#ifdef FL_HAVE_OPENAT2
  c.Set("RESOLVE_BENEATH", RESOLVE_BENEATH);
  c.Set("RESOLVE_NO_MAGICLINKS", RESOLVE_NO_MAGICLINKS);
  c.Set("RESOLVE_NO_SYMLINKS", RESOLVE_NO_SYMLINKS);
#else
  c.Set("RESOLVE_BENEATH", 0);
  c.Set("RESOLVE_NO_MAGICLINKS", 0);
  c.Set("RESOLVE_NO_SYMLINKS", 0);
#endif
#ifdef O_NOFOLLOW_ANY
  c.Set("O_NOFOLLOW_ANY", O_NOFOLLOW_ANY);  // macOS 11+: no symlink anywhere in the path
#else
  c.Set("O_NOFOLLOW_ANY", 0);
#endif
  return c;
}

void InitConfine(Napi::Env env, Napi::Object exports) {
  exports.Set("confine", ConfineConstants(env));
  exports.Set("openat", Napi::Function::New(env, OpenAt, "openat"));
  exports.Set("openat2", Napi::Function::New(env, OpenAt2, "openat2"));
  exports.Set("renameat", Napi::Function::New(env, RenameAt, "renameat"));
  exports.Set("unlinkat", Napi::Function::New(env, UnlinkAt, "unlinkat"));
  exports.Set("mkdirat", Napi::Function::New(env, MkdirAt, "mkdirat"));
  exports.Set("lstatat", Napi::Function::New(env, LstatAt, "lstatat"));
  exports.Set("readlinkat", Napi::Function::New(env, ReadlinkAt, "readlinkat"));
  exports.Set("readdirAt", Napi::Function::New(env, ReaddirAt, "readdirAt"));
}

}  // namespace fl
