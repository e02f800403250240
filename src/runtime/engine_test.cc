// Unit tests of the engine's broker-free parts: runtime configuration (defaults, derived
// values, errors naming the key) and the WorkGate (exclusion, writer preference).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

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
