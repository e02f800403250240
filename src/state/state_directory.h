// StateDirectory: where a brook process keeps local state, and who may touch it.
//
// Layout (see README.md):
//   <root>/<application.id>/<subtopology>_<partition>/    one directory per task, e.g. 0_3
//       .lock          flock()ed while a TaskDirLock is held
//       .checkpoint    changelog offsets the local state reflects (checkpoint.h)
//       rocksdb/<store>/  and  <store>/   the task's stores (chosen by the runtime)
//
// Locking: LockTask takes an exclusive, non-blocking flock on the task's .lock file. flock
// locks belong to an open file description, so a second attempt fails whether it comes
// from another process or from this one (another TaskDirLock object); the error names the
// path. The lock is released when the TaskDirLock is destroyed (or the process dies: the
// kernel drops flocks with the descriptor). Only the lock holder may read, write or wipe
// the task's state.
//
// Thread-safety: StateDirectory is immutable after Open and safe to share; a TaskDirLock is
// owned by one thread at a time.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/ids.h"
#include "brook/status.h"

namespace brook::state {

inline constexpr std::string_view kLockFileName = ".lock";

// Holds the exclusive lock on one task directory. Move-only; unlocks on destruction.
class TaskDirLock {
 public:
  TaskDirLock() = default;
  ~TaskDirLock();
  TaskDirLock(TaskDirLock&& other) noexcept;
  TaskDirLock& operator=(TaskDirLock&& other) noexcept;
  TaskDirLock(const TaskDirLock&) = delete;
  TaskDirLock& operator=(const TaskDirLock&) = delete;

  [[nodiscard]] bool held() const { return fd_ >= 0; }
  [[nodiscard]] const TaskId& task() const { return task_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  // Releases the lock now (idempotent).
  void Unlock();

 private:
  friend class StateDirectory;
  TaskDirLock(TaskId task, std::filesystem::path dir, int fd)
      : task_(task), dir_(std::move(dir)), fd_(fd) {}

  TaskId task_;
  std::filesystem::path dir_;
  int fd_ = -1;
};

class StateDirectory {
 public:
  // Creates <root>/<application_id>/ if missing. kInvalidArgument for an empty id or one
  // that is not a single path component; kIoError when the directory cannot be created.
  [[nodiscard]] static Result<StateDirectory> Open(const std::filesystem::path& root,
                                                   const std::string& application_id);

  // <root>/<application_id>
  [[nodiscard]] const std::filesystem::path& app_dir() const { return app_dir_; }
  // <root>/<application_id>/<task> (whether or not it exists).
  [[nodiscard]] std::filesystem::path TaskDir(const TaskId& task) const;

  // Creates the task directory if needed and locks it. kFailedPrecondition when the lock is
  // held elsewhere (message names the .lock path); kIoError on file-system errors.
  [[nodiscard]] Result<TaskDirLock> LockTask(const TaskId& task) const;

  // Tasks with a directory on disk (locked or not), ascending. Entries whose names are not
  // task ids are ignored.
  [[nodiscard]] Result<std::vector<TaskId>> ListTaskDirs() const;

  // Deletes everything in the locked task's directory except the lock file, so the state
  // can be restored from scratch. kInvalidArgument when the lock is not held or belongs to
  // another StateDirectory.
  [[nodiscard]] Status WipeTask(const TaskDirLock& lock) const;

 private:
  explicit StateDirectory(std::filesystem::path app_dir) : app_dir_(std::move(app_dir)) {}
  std::filesystem::path app_dir_;
};

// Parses "<subtopology>_<partition>" (both non-negative decimal); nullopt otherwise.
[[nodiscard]] std::optional<TaskId> ParseTaskId(std::string_view text);

}  // namespace brook::state
