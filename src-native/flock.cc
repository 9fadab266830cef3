#include "fl.h"

#include <cerrno>
#include <string>
#include <sys/file.h>
#include <sys/stat.h>

namespace fl {

// flock(fd, op) -> true when granted, false when LOCK_NB found it busy.
// "Busy" is the expected answer of a try, so it is a value, not an exception.
static Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].As<Napi::Number>().Int32Value();
  int r;
  do {
    r = flock(fd, op);
  } while (r == -1 && errno == EINTR);
  if (r == 0) return Napi::Boolean::New(env, true);
  if ((op & LOCK_NB) && (errno == EWOULDBLOCK || errno == EAGAIN)) {
    return Napi::Boolean::New(env, false);
  }
  ThrowErrno(env, errno, "flock");
  return env.Undefined();
}

int InodeOf(int fd, Inode* out) {
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  out->dev = st.st_dev;
  out->ino = st.st_ino;
  out->linked = st.st_nlink > 0;
  return 0;
}

int NamesInode(const char* path, const Inode& inode, bool* same) {
  if (!inode.linked) {
    *same = false;
    return 0;
  }
  struct stat byPath;
  if (stat(path, &byPath) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return errno;
    *same = false;
    return 0;
  }
  // While `path` names the inode it has a link, and while we hold it open
  // its number cannot be reused: no fstat is needed after the wait.
  *same = inode.dev == byPath.st_dev && inode.ino == byPath.st_ino;
  return 0;
}

int StillNamed(int fd, const char* path, bool* same) {
  Inode inode;
  int err = InodeOf(fd, &inode);
  return err != 0 ? err : NamesInode(path, inode, same);
}

// sameFile(fd, path) -> whether path still names the open file and the file
// still has a link. A peer that unlinks or replaces a lock file while we wait
// leaves us holding a lock nobody else can see; this is the check for that.
static Napi::Value SameFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::string path = info[1].As<Napi::String>().Utf8Value();
  bool same = false;
  int err = StillNamed(fd, path.c_str(), &same);
  if (err != 0) {
    ThrowErrno(env, err, "stat");
    return env.Undefined();
  }
  return Napi::Boolean::New(env, same);
}

// isLinked(fd) -> whether the open file still has a name (st_nlink > 0).
// One fstat: the cheap half of sameFile, enough to catch a lock file that a
// peer deleted or renamed over since we opened it.
static Napi::Value IsLinked(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct stat st;
  if (fstat(info[0].As<Napi::Number>().Int32Value(), &st) != 0) {
    ThrowErrno(env, errno, "fstat");
    return env.Undefined();
  }
  return Napi::Boolean::New(env, st.st_nlink > 0);
}

void InitFlock(Napi::Env env, Napi::Object exports) {
  exports.Set("isLinked", Napi::Function::New(env, IsLinked, "isLinked"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("sameFile", Napi::Function::New(env, SameFile, "sameFile"));
}

}  // namespace fl
