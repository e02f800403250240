// StateDirectory: task directories, locks, listing, wiping.
#include "state/state_directory.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "state/test_util.h"

namespace brook::state {
namespace {

using testing::TempDir;

class StateDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = StateDirectory::Open(tmp_.path(), "my-app");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dir_.emplace(std::move(d).value());
  }
  TempDir tmp_;
  std::optional<StateDirectory> dir_;
};

TEST_F(StateDirectoryTest, TaskDirectoryLayout) {
  EXPECT_EQ(dir_->app_dir(), tmp_.path() / "my-app");
  EXPECT_TRUE(std::filesystem::is_directory(tmp_.path() / "my-app"));
  EXPECT_EQ(dir_->TaskDir(TaskId{0, 3}), tmp_.path() / "my-app" / "0_3");
  auto lock = dir_->LockTask(TaskId{0, 3});
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(tmp_.path() / "my-app" / "0_3" / ".lock"));
  EXPECT_EQ(lock->task(), (TaskId{0, 3}));
}

TEST_F(StateDirectoryTest, SecondLockerFailsUntilTheFirstReleases) {
  auto first = dir_->LockTask(TaskId{1, 2});
  ASSERT_TRUE(first.ok());
  auto second = dir_->LockTask(TaskId{1, 2});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  const std::string lock_path = (tmp_.path() / "my-app" / "1_2" / ".lock").string();
  EXPECT_NE(second.status().message().find(lock_path), std::string::npos)
      << second.status().message();
  // Another task is independent.
  EXPECT_TRUE(dir_->LockTask(TaskId{1, 3}).ok());
  // Moving keeps the lock; releasing frees it.
  TaskDirLock moved = std::move(first).value();
  EXPECT_TRUE(moved.held());
  EXPECT_FALSE(dir_->LockTask(TaskId{1, 2}).ok());
  moved.Unlock();
  EXPECT_TRUE(dir_->LockTask(TaskId{1, 2}).ok());
}

TEST_F(StateDirectoryTest, LockIsExclusiveAcrossProcesses) {
  auto held = dir_->LockTask(TaskId{0, 0});
  ASSERT_TRUE(held.ok());
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto attempt = dir_->LockTask(TaskId{0, 0});
    ::_exit(!attempt.ok() && attempt.status().code() == StatusCode::kFailedPrecondition ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child process got the lock";
}

TEST_F(StateDirectoryTest, ListsTaskDirectoriesOnly) {
  for (const char* name : {"0_1", "10_2", "1_0", "junk", "0_x", "01_1", "_1"}) {
    std::filesystem::create_directories(dir_->app_dir() / name);
  }
  std::ofstream(dir_->app_dir() / "2_2") << "a file, not a task directory";
  auto tasks = dir_->ListTaskDirs();
  ASSERT_TRUE(tasks.ok());
  EXPECT_EQ(*tasks, (std::vector<TaskId>{{0, 1}, {1, 0}, {10, 2}}));
}

TEST_F(StateDirectoryTest, WipeRemovesEverythingButTheLock) {
  auto lock = dir_->LockTask(TaskId{2, 5});
  ASSERT_TRUE(lock.ok());
  const std::filesystem::path task_dir = dir_->TaskDir(TaskId{2, 5});
  std::filesystem::create_directories(task_dir / "rocksdb" / "store");
  std::ofstream(task_dir / "rocksdb" / "store" / "CURRENT") << "x";
  std::ofstream(task_dir / ".checkpoint") << "1\n0\n";
  ASSERT_TRUE(dir_->WipeTask(*lock).ok());
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(task_dir)) {
    left.push_back(e.path().filename().string());
  }
  EXPECT_EQ(left, (std::vector<std::string>{".lock"}));
  EXPECT_FALSE(dir_->LockTask(TaskId{2, 5}).ok());  // still locked

  const TaskDirLock none;
  EXPECT_EQ(dir_->WipeTask(none).code(), StatusCode::kInvalidArgument);
}

TEST(StateDirectoryOpenTest, RejectsApplicationIdsThatAreNotADirectoryName) {
  TempDir tmp;
  for (const char* id : {"", ".", "..", "a/b"}) {
    auto d = StateDirectory::Open(tmp.path(), id);
    ASSERT_FALSE(d.ok()) << id;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ParseTaskIdTest, AcceptsOnlyCanonicalIds) {
  EXPECT_EQ(ParseTaskId("0_3"), (TaskId{0, 3}));
  EXPECT_EQ(ParseTaskId("12_0"), (TaskId{12, 0}));
  for (const char* bad :
       {"", "_", "1_", "_1", "1-2", "01_2", "1_02", "-1_2", "1_2_3", "a_1", "99999999999_1"}) {
    EXPECT_EQ(ParseTaskId(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace brook::state
