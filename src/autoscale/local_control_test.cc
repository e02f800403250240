#include "autoscale/local_control.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace brook::autoscale {
namespace {

using namespace std::chrono_literals;

TEST(LocalControl, ScaleAndStatusThroughTheStateFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("brook-local-control-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  LocalRunnerOptions o;
  o.name = "app";
  o.command = {"/bin/sh", "-c", "while :; do sleep 0.05; done"};
  o.state_dir = dir;
  o.base_port = 21000;
  o.grace_period = 2s;
  o.poll_interval = 10ms;

  EXPECT_EQ(LocalRunnerStatus(dir, 1s).status().code(), StatusCode::kNotFound);
  {
    auto runner = LocalRunner::Create(o).ValueOrThrow();
    auto control = LocalControlServer::Start(runner.get(), o).ValueOrThrow();
    ASSERT_TRUE(std::filesystem::exists(dir / kLocalRunnerStateFile));
    EXPECT_EQ(LocalControlEndpoint(dir).ValueOrThrow(), control->endpoint());

    ASSERT_TRUE(LocalRunnerScale(dir, 2, 2s).ok());
    EXPECT_EQ(runner->replicas(), 2);
    ASSERT_TRUE(runner->WaitForStable(5s).ok());
    const nlohmann::json status = LocalRunnerStatus(dir, 2s).ValueOrThrow();
    EXPECT_EQ(status["name"], "app");
    EXPECT_EQ(status["replicas"], 2);
    ASSERT_EQ(status["instances"].size(), 2U);
    EXPECT_EQ(status["instances"][1]["name"], "app-1");
    EXPECT_EQ(status["instances"][1]["state"], "running");
    EXPECT_EQ(status["instances"][1]["endpoint"], "127.0.0.1:21001");
    EXPECT_GT(status["instances"][1]["pid"].get<int>(), 0);

    const Status bad = LocalRunnerScale(dir, -1, 2s);
    EXPECT_EQ(bad.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(bad.message().find("HTTP 400"), std::string::npos) << bad.message();
    control.reset();
    runner->Stop();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / kLocalRunnerStateFile));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace brook::autoscale
