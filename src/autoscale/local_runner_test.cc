#include "autoscale/local_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

namespace brook::autoscale {
namespace {

using namespace std::chrono_literals;

// A fake instance: installs its SIGTERM trap, then records its start, argv[0] (the "{name}"
// placeholder) and environment, appends its name to <base>/terms on SIGTERM and exits 0.
const char* const kFakeScript =
    R"(trap 'echo "$0" >> "$BROOK_STATE_DIR/../terms"; exit 0' TERM
echo "$0 $BROOK_GROUP_INSTANCE_ID $BROOK_HTTP_LISTEN $BROOK_APPLICATION_SERVER" >> "$BROOK_STATE_DIR/starts"
while :; do sleep 0.05; done)";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LocalRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("brook-local-runner-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  LocalRunnerOptions Options(std::string script = kFakeScript) {
    LocalRunnerOptions o;
    o.name = "app";
    o.command = {"/bin/sh", "-c", std::move(script), "{name}"};
    o.state_dir = dir_;
    o.base_port = 20000;
    o.grace_period = 5s;
    o.restart_backoff_initial = 50ms;
    o.restart_backoff_max = 1s;
    o.poll_interval = 10ms;
    return o;
  }

  std::filesystem::path dir_;
};

TEST_F(LocalRunnerTest, RejectsBadOptions) {
  auto o = Options();
  o.name.clear();
  EXPECT_FALSE(LocalRunner::Create(o).ok());
  o = Options();
  o.command.clear();
  EXPECT_FALSE(LocalRunner::Create(o).ok());
  o = Options();
  o.base_port = 0;
  EXPECT_FALSE(LocalRunner::Create(o).ok());
  auto runner = LocalRunner::Create(Options()).ValueOrThrow();
  EXPECT_FALSE(runner->Scale(-1).ok());
}

TEST_F(LocalRunnerTest, ScalesUpThenDownFromTheHighestOrdinal) {
  auto runner = LocalRunner::Create(Options()).ValueOrThrow();
  ASSERT_TRUE(runner->Scale(3).ok());
  ASSERT_TRUE(runner->WaitForStable(5s).ok());
  auto children = runner->Children();
  ASSERT_EQ(children.size(), 3U);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(children[i].ordinal, i);
    EXPECT_EQ(children[i].name, "app-" + std::to_string(i));
    EXPECT_GT(children[i].pid, 0);
    EXPECT_EQ(children[i].state, ChildState::kRunning);
    EXPECT_EQ(children[i].restarts, 0);
  }
  // Wait for every child to have written its start line.
  for (int i = 0; i < 3; ++i) {
    const auto starts = dir_ / ("app-" + std::to_string(i)) / "starts";
    for (int t = 0; t < 500 && ReadFile(starts).empty(); ++t) std::this_thread::sleep_for(10ms);
    const std::string name = "app-" + std::to_string(i);
    const std::string listen = "127.0.0.1:" + std::to_string(20000 + i);
    std::string expected = name;
    expected += " ";
    expected += name;
    expected += " ";
    expected += listen;
    expected += " ";
    expected += listen;
    expected += "\n";
    EXPECT_EQ(ReadFile(starts), expected);
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ / "app-0.log"));

  ASSERT_TRUE(runner->Scale(1).ok());
  ASSERT_TRUE(runner->WaitForStable(5s).ok());
  children = runner->Children();
  ASSERT_EQ(children.size(), 1U);
  EXPECT_EQ(children[0].ordinal, 0);
  // SIGTERM first, highest ordinal first, one at a time; ordinal 0 untouched.
  EXPECT_EQ(ReadFile(dir_ / "terms"), "app-2\napp-1\n");
  // The state dirs of the removed ordinals stay (the persistent volumes).
  EXPECT_TRUE(std::filesystem::exists(dir_ / "app-2"));

  runner->Stop();
  EXPECT_EQ(ReadFile(dir_ / "terms"), "app-2\napp-1\napp-0\n");
  EXPECT_TRUE(runner->Children().empty());
}

TEST_F(LocalRunnerTest, RestartsACrashedChildWithTheSameOrdinalAndStateDir) {
  auto runner = LocalRunner::Create(Options()).ValueOrThrow();
  ASSERT_TRUE(runner->Scale(2).ok());
  ASSERT_TRUE(runner->WaitForStable(5s).ok());
  const pid_t old_pid = runner->Children()[1].pid;
  const auto starts = dir_ / "app-1" / "starts";
  for (int t = 0; t < 500 && ReadFile(starts).empty(); ++t) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(::kill(old_pid, SIGKILL), 0);

  bool restarted = false;
  for (int t = 0; t < 500 && !restarted; ++t) {
    std::this_thread::sleep_for(10ms);
    const auto children = runner->Children();
    restarted = children.size() == 2 && children[1].pid > 0 && children[1].pid != old_pid &&
                children[1].state == ChildState::kRunning;
  }
  ASSERT_TRUE(restarted);
  const auto children = runner->Children();
  EXPECT_EQ(children[1].restarts, 1);
  EXPECT_EQ(children[0].restarts, 0);
  auto lines = [&] {
    const std::string text = ReadFile(starts);
    return std::count(text.begin(), text.end(), '\n');
  };
  for (int t = 0; t < 500 && lines() < 2; ++t) std::this_thread::sleep_for(10ms);
  const std::string line = "app-1 app-1 127.0.0.1:20001 127.0.0.1:20001\n";
  EXPECT_EQ(ReadFile(starts), line + line);
}

TEST_F(LocalRunnerTest, KillsAChildThatIgnoresSigtermAfterTheGracePeriod) {
  auto o = Options(R"(trap '' TERM; touch "$BROOK_STATE_DIR/ready"; while :; do sleep 0.05; done)");
  o.grace_period = 300ms;
  auto runner = LocalRunner::Create(o).ValueOrThrow();
  ASSERT_TRUE(runner->Scale(1).ok());
  ASSERT_TRUE(runner->WaitForStable(5s).ok());
  const pid_t pid = runner->Children()[0].pid;
  for (int t = 0; t < 500 && !std::filesystem::exists(dir_ / "app-0" / "ready"); ++t) {
    std::this_thread::sleep_for(10ms);  // until the shell has installed its trap
  }
  const auto start = std::chrono::steady_clock::now();
  runner->Stop();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  EXPECT_NE(::kill(pid, 0), 0);  // gone and reaped
  EXPECT_FALSE(runner->Scale(1).ok());
}

TEST_F(LocalRunnerTest, AMissingProgramIsRetriedWithBackoff) {
  auto o = Options();
  o.command = {"/nonexistent/brook-app"};
  auto runner = LocalRunner::Create(o).ValueOrThrow();
  ASSERT_TRUE(runner->Scale(1).ok());
  std::this_thread::sleep_for(100ms);
  const auto children = runner->Children();
  ASSERT_EQ(children.size(), 1U);
  EXPECT_EQ(children[0].state, ChildState::kBackoff);
  EXPECT_GE(children[0].restarts, 1);
  EXPECT_FALSE(runner->WaitForStable(50ms).ok());
}

}  // namespace
}  // namespace brook::autoscale
