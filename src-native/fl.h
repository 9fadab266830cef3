// Shared declarations of the native layer. Every function here is a thin,
// policy-free wrapper: syscalls in, errno out. Timeouts, queues and retries
// live in the TypeScript layer (lib/).
#ifndef FILE_LOCKING_FL_H
#define FILE_LOCKING_FL_H

#include <napi.h>
#include <fcntl.h>
#include <sys/types.h>
#include <cstdint>

// FL_PORTABLE_PATHS (a build switch: cmake-js --CDFL_PORTABLE_PATHS=ON, or
// -DFL_PORTABLE_PATHS) builds as if the platform had neither O_PATH nor
// open-file-description locks, which is what macOS has, so that the code
// taken there is compiled and tested on Linux. Every source includes this
// header first, and <fcntl.h>'s include guard keeps later includes from
// defining them again.
#ifdef FL_PORTABLE_PATHS
#undef O_PATH
#undef F_OFD_GETLK
#undef F_OFD_SETLK
#undef F_OFD_SETLKW
#endif

namespace fl {

// Throws a Node-style error (code = errno name, errno = -err, syscall) into JS.
void ThrowErrno(Napi::Env env, int err, const char* syscall);
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);

// What a waiter thread runs: either flock(2) or an fcntl(2) record lock.
struct LockRequest {
  enum Kind { kFlock, kRecord } kind = kFlock;
  int op = 0;            // flock: LOCK_SH / LOCK_EX (never LOCK_NB here)
  int cmd = 0;           // record: F_SETLKW or F_OFD_SETLKW
  struct flock range {}; // record: type, whence = SEEK_SET, start, len
};

// Runs the blocking request, retrying EINTR. Returns 0 or an errno value.
int RunBlocking(int fd, const LockRequest& req);
// Undoes a granted request on fd (LOCK_UN or F_UNLCK over the same range).
void UndoGranted(int fd, const LockRequest& req);
// CLOCK_MONOTONIC in ns, the clock of process.hrtime.bigint().
int64_t MonoNs();

// Whether `path` still names the open file `fd` and the file still has a
// link. Returns 0 and sets *same, or an errno (a missing path is "not same").
int StillNamed(int fd, const char* path, bool* same);
// The same check in two halves, so that a wait pays only the second after
// winning: InodeOf (fstat) before the wait, NamesInode (stat) after; an
// inode without a link (unlinked before the wait) is named by no path.
struct Inode {
  dev_t dev = 0;
  ino_t ino = 0;
  bool linked = false;
};
int InodeOf(int fd, Inode* out);
int NamesInode(const char* path, const Inode& inode, bool* same);

void InitFlock(Napi::Env env, Napi::Object exports);
void InitRecordLock(Napi::Env env, Napi::Object exports);
void InitWaiter(Napi::Env env, Napi::Object exports);
void InitFlockHere(Napi::Env env, Napi::Object exports);
void InitConfine(Napi::Env env, Napi::Object exports);
void InitDurableCommit(Napi::Env env, Napi::Object exports);
void InitOpenWithStat(Napi::Env env, Napi::Object exports);

}  // namespace fl

#endif
