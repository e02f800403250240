// Unit tests of the engine's broker-free parts: runtime configuration (defaults, derived
// values, errors naming the key), the WorkGate (exclusion, writer preference) and the status
// JSON.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "brook/streams.h"
#include "runtime/instance.h"
#include "runtime/runtime_config.h"
#include "runtime/work_gate.h"

namespace brook::runtime {
namespace {

Result<RuntimeOptions> Load(std::vector<std::string> overrides) {
  ConfigSchema schema;
  DefineInstanceKeys(schema);
  BROOK_ASSIGN_OR_RETURN(Config c, Config::Load(schema, {.overrides = std::move(overrides)}));
  return RuntimeOptionsFromConfig(c);
}

TEST(RuntimeConfigTest, DefaultsFollowKafkaStreams) {
  const RuntimeOptions o = Load({"application.id=app"}).value();
  EXPECT_EQ(o.num_stream_threads, 1);
  EXPECT_EQ(o.guarantee, ProcessingGuarantee::kAtLeastOnce);
  EXPECT_EQ(o.commit_interval, std::chrono::milliseconds(30000));
  EXPECT_EQ(o.deserialization_errors, ErrorHandling::kFail);
  EXPECT_EQ(o.production_errors, ErrorHandling::kFail);
  EXPECT_EQ(o.dead_letter_topic, "app-dlq");
  EXPECT_TRUE(o.reset_to_earliest);
}

TEST(RuntimeConfigTest, ExactlyOnceCommitsEvery100MsUnlessSet) {
  EXPECT_EQ(Load({"application.id=a", "processing.guarantee=exactly_once_v2"})->commit_interval,
            std::chrono::milliseconds(100));
  EXPECT_EQ(Load({"application.id=a", "processing.guarantee=exactly_once_v2",
                  "commit.interval.ms=250"})
                ->commit_interval,
            std::chrono::milliseconds(250));
}

TEST(RuntimeConfigTest, HandlersAndTopicAreConfigurable) {
  const RuntimeOptions o = Load({"application.id=a", "deserialization.exception.handler=dead-letter",
                                 "production.exception.handler=log-and-continue",
                                 "errors.dead.letter.queue.topic.name=poison"})
                               .value();
  EXPECT_EQ(o.deserialization_errors, ErrorHandling::kDeadLetter);
  EXPECT_EQ(o.production_errors, ErrorHandling::kLogAndContinue);
  EXPECT_EQ(o.dead_letter_topic, "poison");
}

TEST(RuntimeConfigTest, BadValuesNameTheKey) {
  const auto bad_handler = Load({"deserialization.exception.handler=ignore"});
  ASSERT_FALSE(bad_handler.ok());
  EXPECT_NE(bad_handler.status().message().find("deserialization.exception.handler"),
            std::string::npos);
  const auto threads = Load({"num.stream.threads=0"});
  ASSERT_FALSE(threads.ok());
  EXPECT_NE(threads.status().message().find("num.stream.threads"), std::string::npos);
  const auto empty_dir = Load({"state.dir="});
  ASSERT_FALSE(empty_dir.ok());
  EXPECT_NE(empty_dir.status().message().find("state.dir"), std::string::npos);
}

TEST(WorkGateTest, ExclusiveWaitsForSharedAndExcludesThem) {
  WorkGate gate;
  std::atomic<int> inside{0};
  std::atomic<bool> violated{false};
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  readers.reserve(3);
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        SharedEntry e(gate);
        inside.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        inside.fetch_sub(1);
      }
    });
  }
  // Busy readers re-enter continuously: a writer must still get in (writer preference),
  // and while it holds the gate no reader is inside.
  for (int i = 0; i < 50; ++i) {
    ExclusiveEntry e(gate);
    if (inside.load() != 0) violated.store(true);
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    if (inside.load() != 0) violated.store(true);
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_FALSE(violated.load());
}

TEST(WorkGateTest, TryEnterSharedGivesUpWhileAWriterHoldsOrWaits) {
  WorkGate gate;
  EXPECT_TRUE(gate.TryEnterSharedFor(std::chrono::milliseconds(0)));
  gate.ExitShared();
  std::atomic<bool> release{false};
  std::thread writer([&] {
    ExclusiveEntry e(gate);
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  // Wait until the writer holds the gate (a reader then cannot get in).
  while (gate.TryEnterSharedFor(std::chrono::milliseconds(0))) {
    gate.ExitShared();
    std::this_thread::yield();
  }
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(gate.TryEnterSharedFor(std::chrono::milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(50));
  release.store(true);
  writer.join();
  EXPECT_TRUE(gate.TryEnterSharedFor(std::chrono::milliseconds(1000)));
  gate.ExitShared();
}

TEST(RuntimeConfigTest, HttpServerIsOffByDefault) {
  const RuntimeOptions o = Load({"application.id=a"}).value();
  EXPECT_EQ(o.http_listen, "");
  EXPECT_EQ(o.query_timeout, std::chrono::milliseconds(5000));
  const RuntimeOptions on =
      Load({"application.id=a", "http.listen=:8080", "interactive.query.timeout.ms=250"}).value();
  EXPECT_EQ(on.http_listen, ":8080");
  EXPECT_EQ(on.query_timeout, std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace brook::runtime

namespace brook::runtime {
namespace {

TEST(RuntimeConfigTest, ScalingSignalKeys) {
  const RuntimeOptions d = Load({"application.id=a"}).value();
  EXPECT_EQ(d.scaling_interval, std::chrono::milliseconds(5000));
  EXPECT_EQ(d.scaling_window, std::chrono::milliseconds(30000));
  EXPECT_EQ(d.scaling_target_utilisation, 0.8);
  EXPECT_EQ(d.scaling_catch_up_target_seconds, 120);
  EXPECT_EQ(d.scaling_min_replicas, 1);
  EXPECT_EQ(d.scaling_max_replicas, 0);
  const RuntimeOptions o =
      Load({"application.id=a", "scaling.interval.ms=0", "scaling.target.utilisation=0.5",
            "scaling.catch.up.target.seconds=60", "scaling.min.replicas=2",
            "scaling.max.replicas=6", "scaling.window.ms=60000"})
          .value();
  EXPECT_EQ(o.scaling_interval, std::chrono::milliseconds(0));
  EXPECT_EQ(o.scaling_target_utilisation, 0.5);
  EXPECT_EQ(o.scaling_catch_up_target_seconds, 60);
  EXPECT_EQ(o.scaling_min_replicas, 2);
  EXPECT_EQ(o.scaling_max_replicas, 6);
  EXPECT_EQ(o.scaling_window, std::chrono::milliseconds(60000));
  for (const char* bad : {"scaling.target.utilisation=0", "scaling.target.utilisation=1.5",
                          "scaling.target.utilisation=high"}) {
    const auto r = Load({"application.id=a", bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("scaling.target.utilisation"), std::string::npos);
  }
  const auto below = Load({"application.id=a", "scaling.min.replicas=4", "scaling.max.replicas=2"});
  ASSERT_FALSE(below.ok());
  EXPECT_NE(below.status().message().find("scaling.max.replicas"), std::string::npos);
  EXPECT_FALSE(Load({"application.id=a", "scaling.interval.ms=-1"}).ok());
}

// The status JSON keeps its leading fields in order (tools match on them), adds the newer
// ones after, and writes unknown numbers as null.
TEST(StatusJsonTest, LeadingFieldsKeepTheirOrderAndUnknownsAreNull) {
  StreamsStatus s;
  s.state = StreamsState::kRunning;
  s.processed = 5;
  StreamsTaskInfo t{.id = TaskId{0, 3}, .role = "active", .processed = 5, .lag = 0};
  t.partitions.push_back(StreamsPartitionInfo{.topic = "in\"x", .partition = 3, .position = 7});
  s.tasks.push_back(t);
  s.recent_rebalances.push_back(StreamsRebalanceInfo{.generation = 2, .added = {TaskId{0, 3}}});
  const std::string text = StatusToJson(s);
  EXPECT_EQ(text.rfind("{\"state\":\"RUNNING\",\"error\":\"\",\"member_id\":\"\",\"generation\":-1,"
                       "\"rebalances\":0,\"processed\":5,",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find("{\"id\":\"0_3\",\"role\":\"active\",\"restoring\":false,\"processed\":5,"
                      "\"restored\":0,\"lag\":0,\"max_stall_ms\":0"),
            std::string::npos)
      << text;
  const nlohmann::json j = nlohmann::json::parse(text);
  const nlohmann::json& task = j["tasks"][0];
  EXPECT_TRUE(task["input_lag"].is_null());
  EXPECT_TRUE(task["state_bytes"].is_null());
  EXPECT_TRUE(task["restore"]["eta_seconds"].is_null());
  EXPECT_EQ(task["partitions"][0]["topic"], "in\"x");
  EXPECT_EQ(task["partitions"][0]["position"], 7);
  EXPECT_TRUE(task["partitions"][0]["lag"].is_null());
  EXPECT_TRUE(j["recent_rebalances"][0]["duration_ms"].is_null());
  EXPECT_EQ(j["recent_rebalances"][0]["added"][0], "0_3");
  EXPECT_TRUE(j["scaling"]["desired_replicas"].is_null());
}

}  // namespace
}  // namespace brook::runtime
