#include "state/state_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>
#include <utility>

namespace brook::state {
namespace {

std::string ErrnoText(int err) {
  return std::generic_category().message(err);
}

std::optional<int32_t> ParseNonNegative(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  int32_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::optional<TaskId> ParseTaskId(std::string_view text) {
  const size_t sep = text.find('_');
  if (sep == std::string_view::npos) return std::nullopt;
  const std::optional<int32_t> sub = ParseNonNegative(text.substr(0, sep));
  const std::optional<int32_t> part = ParseNonNegative(text.substr(sep + 1));
  if (!sub || !part) return std::nullopt;
  return TaskId{*sub, *part};
}

// ---- TaskDirLock ----

TaskDirLock::~TaskDirLock() {
  Unlock();
}

TaskDirLock::TaskDirLock(TaskDirLock&& other) noexcept
    : task_(other.task_), dir_(std::move(other.dir_)), fd_(std::exchange(other.fd_, -1)) {}

TaskDirLock& TaskDirLock::operator=(TaskDirLock&& other) noexcept {
  if (this != &other) {
    Unlock();
    task_ = other.task_;
    dir_ = std::move(other.dir_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void TaskDirLock::Unlock() {
  if (fd_ < 0) return;
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
  fd_ = -1;
}

// ---- StateDirectory ----

Result<StateDirectory> StateDirectory::Open(const std::filesystem::path& root,
                                            const std::string& application_id) {
  if (application_id.empty() || application_id == "." || application_id == ".." ||
      application_id.find('/') != std::string::npos) {
    return Status::InvalidArgument("state directory: application.id '" + application_id +
                                   "' is not usable as a directory name");
  }
  std::filesystem::path app_dir = root / application_id;
  std::error_code ec;
  std::filesystem::create_directories(app_dir, ec);
  if (ec) {
    return Status::IoError("state directory " + app_dir.string() +
                           ": cannot create: " + ec.message());
  }
  return StateDirectory(std::move(app_dir));
}

std::filesystem::path StateDirectory::TaskDir(const TaskId& task) const {
  return app_dir_ / task.ToString();
}

Result<TaskDirLock> StateDirectory::LockTask(const TaskId& task) const {
  std::filesystem::path dir = TaskDir(task);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Status::IoError("task directory " + dir.string() + ": cannot create: " + ec.message());
  const std::filesystem::path lock_path = dir / kLockFileName;
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IoError("task lock " + lock_path.string() +
                           ": cannot open: " + ErrnoText(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::FailedPrecondition("task " + task.ToString() + ": state directory lock " +
                                        lock_path.string() +
                                        " is held by another owner (this or another process)");
    }
    return Status::IoError("task lock " + lock_path.string() + ": flock: " + ErrnoText(err));
  }
  return TaskDirLock(task, std::move(dir), fd);
}

Result<std::vector<TaskId>> StateDirectory::ListTaskDirs() const {
  std::vector<TaskId> tasks;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(app_dir_, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_directory()) continue;
    if (const std::optional<TaskId> t = ParseTaskId(it->path().filename().string())) {
      tasks.push_back(*t);
    }
  }
  if (ec)
    return Status::IoError("state directory " + app_dir_.string() + ": list: " + ec.message());
  std::sort(tasks.begin(), tasks.end());
  return tasks;
}

Status StateDirectory::WipeTask(const TaskDirLock& lock) const {
  if (!lock.held() || lock.dir() != TaskDir(lock.task())) {
    return Status::InvalidArgument("wipe of task " + lock.task().ToString() +
                                   " without holding its lock in " + app_dir_.string());
  }
  std::error_code ec;
  std::vector<std::filesystem::path> victims;
  for (std::filesystem::directory_iterator it(lock.dir(), ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().filename() != kLockFileName) victims.push_back(it->path());
  }
  if (ec)
    return Status::IoError("task directory " + lock.dir().string() + ": list: " + ec.message());
  for (const std::filesystem::path& p : victims) {
    std::filesystem::remove_all(p, ec);
    if (ec)
      return Status::IoError("task directory wipe: cannot remove " + p.string() + ": " +
                             ec.message());
  }
  return Status::Ok();
}

}  // namespace brook::state
