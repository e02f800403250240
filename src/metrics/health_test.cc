#include "metrics/health.h"

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "http/client.h"
#include "metrics/exposition.h"
#include "metrics/test_status.h"
#include "metrics/text_parser.h"

namespace brook::metrics {
namespace {

using nlohmann::json;
using testing::FakeStatus;

StreamsStatus ReadyStatus() {
  StreamsStatus s = FakeStatus();
  for (StreamsTaskInfo& t : s.tasks) t.restoring = false;
  return s;
}

TEST(MetricsHealth, LiveWhenThreadsRunAndNotFailed) {
  const HealthOptions o{.stuck_after = std::chrono::seconds(60)};
  EXPECT_TRUE(Liveness(FakeStatus(), o).ok);

  StreamsStatus failed = FakeStatus();
  failed.state = StreamsState::kError;
  failed.error = "fenced: another instance has group.instance.id pod-0";
  Check c = Liveness(failed, o);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.body["reasons"][0].get<std::string>().find("fenced"), std::string::npos);

  StreamsStatus dead = FakeStatus();
  dead.threads[1].alive = false;
  c = Liveness(dead, o);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.body["reasons"][0], "thread stream-1 exited");

  StreamsStatus stuck = FakeStatus();
  stuck.threads[2].last_loop_ms = stuck.now_ms - 61000;
  c = Liveness(stuck, o);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.body["reasons"][0].get<std::string>().find("thread restore has not looped"),
            std::string::npos);

  StreamsStatus closing = FakeStatus();
  closing.state = StreamsState::kPendingShutdown;
  for (StreamsThreadInfo& t : closing.threads) t.alive = false;
  EXPECT_TRUE(Liveness(closing, o).ok);

  StreamsStatus created;  // before Start(): no thread yet
  EXPECT_TRUE(Liveness(created, o).ok);
}

TEST(MetricsHealth, ReadyWhenAssignedAndNoActiveTaskRestores) {
  EXPECT_TRUE(Readiness(ReadyStatus()).ok);

  Check c = Readiness(FakeStatus());  // 0_1 restores
  EXPECT_FALSE(c.ok);
  ASSERT_EQ(c.body["restoring"].size(), 1u);
  EXPECT_EQ(c.body["restoring"][0]["task"], "0_1");
  EXPECT_EQ(c.body["restoring"][0]["remaining_offsets"], 70);
  EXPECT_EQ(c.body["restoring"][0]["eta_seconds"], 12.5);
  EXPECT_EQ(c.body["reasons"][0], "1 of 2 active tasks restoring");

  StreamsStatus rebalancing = ReadyStatus();  // kept tasks run through a rebalance
  rebalancing.state = StreamsState::kRebalancing;
  EXPECT_TRUE(Readiness(rebalancing).ok);

  StreamsStatus unassigned = ReadyStatus();
  unassigned.assigned = false;
  c = Readiness(unassigned);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.body["reasons"][0], "no assignment in the current generation yet");

  StreamsStatus failed = ReadyStatus();
  failed.state = StreamsState::kError;
  EXPECT_FALSE(Readiness(failed).ok);
  EXPECT_FALSE(Readiness(StreamsStatus{}).ok);
}

// The four routes on a real in-process server, over fake instance state.
class EndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = http::HttpServer::Create({.listen = "127.0.0.1:0"}).value();
    ASSERT_TRUE(RegisterEndpoints(
                    *server_, EndpointSources{.status = [this] { return Status(); },
                                              .status_json =
                                                  [](const StreamsStatus& s) {
                                                    return json{
                                                        {"state", StreamsStateName(s.state)},
                                                        {"generation", s.generation}}
                                                        .dump();
                                                  },
                                              .metrics =
                                                  [this] {
                                                    ExpositionInput in;
                                                    in.status = Status();
                                                    return metrics_.Expose(in);
                                                  },
                                              .health = {.stuck_after = std::chrono::seconds(60)}})
                    .ok());
    ASSERT_TRUE(server_->Start().ok());
    endpoint_ = "127.0.0.1:" + std::to_string(server_->port());
  }
  StreamsStatus Status() {
    std::lock_guard lock(mu_);
    return status_;
  }
  void Set(StreamsStatus s) {
    std::lock_guard lock(mu_);
    status_ = std::move(s);
  }
  http::HttpClientResponse Get(const std::string& target) {
    Result<http::HttpClientResponse> r =
        http::HttpGet(endpoint_, target, {}, std::chrono::seconds(5));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : http::HttpClientResponse{};
  }

  std::mutex mu_;
  StreamsStatus status_ = FakeStatus();
  InstanceMetrics metrics_;
  std::unique_ptr<http::HttpServer> server_;
  std::string endpoint_;
};

TEST_F(EndpointsTest, HealthzReadyzStatusAndMetrics) {
  http::HttpClientResponse r = Get("/healthz");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"], "ok");

  r = Get("/readyz");  // 0_1 restores
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(json::parse(r.body)["restoring"][0]["task"], "0_1");

  Set(ReadyStatus());
  r = Get("/readyz");
  EXPECT_EQ(r.status, 200) << r.body;

  StreamsStatus failed = ReadyStatus();
  failed.state = StreamsState::kError;
  failed.error = "boom";
  Set(failed);
  r = Get("/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body)["reasons"][0], "the instance failed: boom");
  EXPECT_EQ(Get("/readyz").status, 503);

  r = Get("/status");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type").value_or(""), "application/json");
  EXPECT_EQ(json::parse(r.body)["state"], "ERROR");

  r = Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type").value_or(""), kPrometheusContentType);
  Result<std::vector<ParsedFamily>> fams = ParseTextFormat(r.body);
  ASSERT_TRUE(fams.ok()) << fams.status().ToString();
  const ParsedFamily* live = FindFamily(*fams, "brook_instance_live");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->samples.at(0).value, 0);
}

}  // namespace
}  // namespace brook::metrics
