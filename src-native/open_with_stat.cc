// Opening a file and learning its attributes in one call: openat + fstat,
// and for a whole-file read, the reads too. An update reads its file and
// creates its temp file under the lock, and in a process that has just been
// woken, each fs call's JavaScript layer and the Stats object of
// fs.fstatSync add about half again to the syscalls' own time (the read:
// 33-35 us through fs, 23 us in one call, p50 in the read-modify-write
// benchmark's processes). Policy-free: which
// flags, what to do with ELOOP or ESTALE, and when to close the descriptor
// are the caller's (lib/durable/file-text.ts, lib/durable/pending-file.ts).
#include "fl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace fl {

namespace {

// Where the attributes go: out[0] = the descriptor, [1] = st_mode,
// [2] = st_uid, [3] = st_gid, [4] = the bytes read (readKept).
enum Out { kFd, kMode, kUid, kGid, kLength, kOutSize };

// openat(dirFd or, for -1, the working directory), retrying EINTR, and fstat
// into `out` (info[4]). Returns the descriptor, or -1 with nothing left open and the
// error thrown.
int OpenAndStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[4].As<Napi::TypedArray>().ElementLength() < kOutSize) {
    Napi::TypeError::New(env, "out must be a Float64Array of 5 numbers").ThrowAsJavaScriptException();
    return -1;
  }
  Napi::Float64Array out = info[4].As<Napi::Float64Array>();
  int dirfd = info[0].As<Napi::Number>().Int32Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  int flags = info[2].As<Napi::Number>().Int32Value() | O_CLOEXEC;
  mode_t mode = static_cast<mode_t>(info[3].As<Napi::Number>().Uint32Value());
  int fd;
  do {
    fd = openat(dirfd == -1 ? AT_FDCWD : dirfd, name.c_str(), flags, mode);
  } while (fd == -1 && errno == EINTR);
  if (fd == -1) {
    ThrowErrno(env, errno, "open");
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    ThrowErrno(env, err, "fstat");
    return -1;
  }
  out[kFd] = fd;
  out[kMode] = st.st_mode;
  out[kUid] = st.st_uid;
  out[kGid] = st.st_gid;
  out[kLength] = static_cast<double>(st.st_size);
  return fd;
}

// openStat(dirFd, name, flags, mode, out) -> fd: open with `flags` |
// O_CLOEXEC and `mode` (for O_CREAT), attributes in out[1..3], the size in
// out[4].
Napi::Value OpenStat(const Napi::CallbackInfo& info) {
  int fd = OpenAndStat(info);
  return fd == -1 ? info.Env().Undefined() : Napi::Number::New(info.Env(), fd);
}

// readKept(dirFd, name, flags, mode, out) -> Buffer: openStat, then reads
// to the end. The Buffer's first out[4] bytes are the file's (out[4] is the
// length read, not the size); the descriptor (out[0]) is the caller's to
// close. On failure nothing stays open; the error's syscall is open, fstat
// or read.
Napi::Value ReadKept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = OpenAndStat(info);
  if (fd == -1) return env.Undefined();
  Napi::Float64Array out = info[4].As<Napi::Float64Array>();
  double size = out[kLength];
  // One byte more than the size, so that the read which finds the end is the
  // second; a file that grew meanwhile (or reports no size) is read on.
  size_t cap = static_cast<size_t>(size > 0 ? size : 0) + 1;
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(env, cap);
  if (env.IsExceptionPending()) {  // no memory for it (or beyond Buffer's limit)
    close(fd);
    return env.Undefined();
  }
  size_t length = 0;
  for (;;) {
    if (length == cap) {
      Napi::Buffer<uint8_t> bigger = Napi::Buffer<uint8_t>::New(env, cap * 2);
      if (env.IsExceptionPending()) {
        close(fd);
        return env.Undefined();
      }
      std::memcpy(bigger.Data(), buf.Data(), length);
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, buf.Data() + length, cap - length);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) {
      int err = errno;
      close(fd);
      ThrowErrno(env, err, "read");
      return env.Undefined();
    }
    if (n == 0) break;
    length += static_cast<size_t>(n);
  }
  out[kLength] = static_cast<double>(length);
  return buf;
}

}  // namespace

void InitOpenWithStat(Napi::Env env, Napi::Object exports) {
  exports.Set("openStat", Napi::Function::New(env, OpenStat, "openStat"));
  exports.Set("readKept", Napi::Function::New(env, ReadKept, "readKept"));
}

}  // namespace fl
