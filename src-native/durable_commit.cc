// The last steps of an async durable replace as one threadpool job: fsync
// the temp file, close it, rename it over the target, fsync the directory,
// and (when asked) give back the writer's flock(2) lock.
//
// Awaiting fs.fsync twice made two round trips through the pool while the
// writer held the lock, each waking a pool thread and then the JS thread.
// The order of the steps is the durability contract (DESIGN.md): the data
// is on disk before the name points at it, and the directory is synced after
// the rename. Policy stays in TypeScript (lib/durable/): which descriptors
// and names, the fencing check (a fenced write does not use this job, since
// its check runs between the close and the rename), and what a failure means
// for the file. Syscalls in, errno out.
//
// The unlock: the writer releases its lock as soon as the job is done, but
// reporting back wakes the JS thread first (75-82 us in syscall traces of 4
// writers on a 2-core VM) while every other process keeps waiting for the
// lock. Unlocking here, right after the directory's fsync, takes that
// wake-up off their path. TypeScript decides when the lock may go early (an
// exclusive lock held by this write alone, nothing left to do under it) and
// only after a fully durable commit.
//
// The closes after it (`closeAfter`: the directory, the descriptors that
// kept the replaced inode alive) were a threadpool job of their own, whose
// report woke the JS thread once more just as the next holder's process
// needed the CPU (4 writers on a 2-core VM: 632 -> 584 us of CPU per
// update, and 6-7 % more updates per second).
#include "fl.h"

#include <cerrno>
#include <string>
#include <vector>
#include <sys/file.h>
#include <unistd.h>

namespace fl {
namespace {

// fsync as libuv's fs.fsync does it: on macOS, plain fsync() leaves the data
// in the drive's cache, so F_FULLFSYNC first, then F_BARRIERFSYNC (85) where
// the file system refuses it, then fsync().
int SyncFd(int fd) {
#ifdef __APPLE__
  if (fcntl(fd, F_FULLFSYNC) == 0) return 0;
  if (fcntl(fd, 85) == 0) return 0;
#endif
  return fsync(fd) == 0 ? 0 : errno;
}

struct Commit {
  int fd = -1;        // the temp file, closed by the job whatever happens
  int dirFd = -1;     // the directory the names are in; -1: the names are paths
  std::string from;   // temp name
  std::string to;     // target name
  int syncDirFd = -1; // the directory to fsync after the rename
  int unlockFd = -1;  // a descriptor whose flock to release after it all; -1: none
  std::vector<int> closeAfter;  // closed last, whatever happened
};

struct Outcome {
  int err = 0;
  const char* syscall = "";
  bool renamed = false;
  bool unlocked = false;
};

Outcome Run(const Commit& c) {
  int err = SyncFd(c.fd);
  // A failed close can report a write the server refused (NFS): that too
  // must stop the rename. EINTR has closed the descriptor all the same.
  int closeErr = close(c.fd) == 0 || errno == EINTR ? 0 : errno;
  if (err != 0) return {err, "fsync", false};
  if (closeErr != 0) return {closeErr, "close", false};
  int dir = c.dirFd < 0 ? AT_FDCWD : c.dirFd;
  int renamed = renameat(dir, c.from.c_str(), dir, c.to.c_str());
  // ESTALE on a network file system: the rename did not happen (a cached
  // handle was stale); once more looks the names up afresh. The one retry
  // policy of the native layer, kept here with commitTemp's (retryStale) so
  // that a retried commit is still one job on one thread.
  if (renamed != 0 && errno == ESTALE) renamed = renameat(dir, c.from.c_str(), dir, c.to.c_str());
  if (renamed != 0) return {errno, "rename", false};
  err = SyncFd(c.syncDirFd);
  if (err != 0) return {err, "fsync", true};
  // A failed unlock is not the write's failure: the caller unlocks as usual.
  bool unlocked = c.unlockFd >= 0 && flock(c.unlockFd, LOCK_UN) == 0;
  return {0, "", true, unlocked};
}

class CommitWorker : public Napi::AsyncWorker {
 public:
  CommitWorker(Napi::Env env, Commit commit)
      : Napi::AsyncWorker(env, "fileLockingCommitDurable"),
        deferred_(Napi::Promise::Deferred::New(env)),
        commit_(std::move(commit)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    outcome_ = Run(commit_);
    for (int fd : commit_.closeAfter) close(fd);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (outcome_.err == 0) {
      deferred_.Resolve(Napi::Boolean::New(env, outcome_.unlocked));
      return;
    }
    Napi::Error e = ErrnoError(env, outcome_.err, outcome_.syscall);
    e.Set("renamed", Napi::Boolean::New(env, outcome_.renamed));
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Commit commit_;
  Outcome outcome_;
};

// commitDurable(fd, dirFd, from, to, syncDirFd, unlockFd, closeAfter) ->
// Promise<boolean>, whether `unlockFd`'s lock was released (never on a
// failure). Rejects with an errno error whose `renamed` says whether the
// rename was done (then only the directory's fsync failed). `fd` and the
// descriptors of the array `closeAfter` are closed in every case, those last.
Napi::Value CommitDurable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Commit c;
  c.fd = info[0].As<Napi::Number>().Int32Value();
  c.dirFd = info[1].As<Napi::Number>().Int32Value();
  c.from = info[2].As<Napi::String>().Utf8Value();
  c.to = info[3].As<Napi::String>().Utf8Value();
  c.syncDirFd = info[4].As<Napi::Number>().Int32Value();
  c.unlockFd = info[5].As<Napi::Number>().Int32Value();
  if (info.Length() > 6 && info[6].IsArray()) {
    Napi::Array fds = info[6].As<Napi::Array>();
    for (uint32_t i = 0; i < fds.Length(); i++) c.closeAfter.push_back(fds.Get(i).As<Napi::Number>().Int32Value());
  }
  auto* worker = new CommitWorker(env, std::move(c));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitDurableCommit(Napi::Env env, Napi::Object exports) {
  exports.Set("commitDurable", Napi::Function::New(env, CommitDurable, "commitDurable"));
}

}  // namespace fl
